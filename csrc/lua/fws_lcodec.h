/* The codec as the bindings use it (also from connections and servers). */
#ifndef FWS_LCODEC_H
#define FWS_LCODEC_H

#include "lua/fws_lua.h"
#include "types/fws_codec.h"

/* The message of channel c named by the string at idx; origin -1 for any, else it must match.
** Raises on an unknown id, listing the known ones. */
const fws_cmessage *fws_lcodec_message(lua_State *L, fws_lchannel *c, int idx, int origin);
/* fws_lcodec_message for a publish: a binary message is refused (it goes by send_binary). */
const fws_cmessage *fws_lcodec_sendable(lua_State *L, fws_lchannel *c, int idx, int origin);
/* The index of ch's first binary message that `origin` sends, or -1. */
int fws_lcodec_binary_tag(const fws_channel *ch, int origin);
/* Encodes the value at idx into ctx->out, or raises "invalid <what>: every failing field" with
** what = printf(fmt, name) (formatted only then: the success path stays cheap, and inline). */
void fws_lcodec_encode_slow(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, const char *fmt,
                            const char *name, int rc, fws_verrs *first);
static inline void fws_lcodec_encode(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, const char *fmt,
                                     const char *name) {
  ctx->out.len = 0;
  ctx->out.failed = 0;
  fws_verrs errs = {0};
  int rc = fws_encode(L, ctx, idx, t, 0, &errs);
  if (rc || errs.items) fws_lcodec_encode_slow(L, ctx, idx, t, fmt, name, rc, &errs);
}
/* The info table of a decoded message, {id = id, variant = variant}: one shared, read-only table
** per (message, variant), so decoding allocates nothing for it. */
void fws_lcodec_push_info(lua_State *L, fws_lapi *a, const char *id, const char *variant);
/* Releases the info tables of the api (its __gc). */
void fws_lcodec_free_infos(lua_State *L, fws_lapi *a);
/* After a failed decode: pushes nil, the error text and the error list; returns 3. Frees errs,
** even when a memory error raises. */
int fws_lcodec_push_decoded(lua_State *L, int rc, fws_verrs *errs, const char *what);

/* obj:on(event, fn) and obj:subscribe(id, fn) for connections and servers: fn (or nil) goes into
** the table in uservalue uv of the handle at 1, under the event name, or for a subscription under
** the message's index + 1 in its channel (checked: a message `origin` sends), 0 for "*": a
** received message finds its subscribers with no string look-up. Returns the handle. */
int fws_lcodec_set_handler(lua_State *L, int uv, const char *const *events);
int fws_lcodec_set_subscription(lua_State *L, int uv, fws_lchannel *ch, int origin);

/* The Lua methods: channel:check/encode/decode and api:check/encode/decode. */
int fws_lchannel_check_msg(lua_State *L);
int fws_lchannel_encode(lua_State *L);
int fws_lchannel_decode(lua_State *L);
int fws_lapi_check_type(lua_State *L);
int fws_lapi_encode_type(lua_State *L);
int fws_lapi_decode_type(lua_State *L);

#endif
