/* check / encode / decode on channels (by message id) and on the api (by type name). */
#include <stdlib.h>
#include <string.h>

#include "lua/fws_lua.h"
#include "lua/fws_lcodec.h"
#include "lua/fws_lopts.h"
#include "types/fws_codec.h"

static void push_errors(lua_State *L, const fws_verrs *errs) {
  lua_createtable(L, (int)errs->n, 0);
  for (size_t i = 0; i < errs->n; i++) {
    const fws_verr *v = &errs->items[i];
    lua_createtable(L, 0, 4);
    lua_pushstring(L, v->path);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, v->expected ? v->expected : "");
    lua_setfield(L, -2, "expected");
    lua_pushstring(L, v->got);
    lua_setfield(L, -2, "got");
    lua_pushstring(L, v->message);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* "what: first; second; ..." as one string. */
static void push_error_text(lua_State *L, const char *what, const fws_verrs *errs) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, what);
  for (size_t i = 0; i < errs->n; i++) {
    luaL_addstring(&b, i ? "; " : ": ");
    luaL_addstring(&b, errs->items[i].message);
  }
  if (errs->total > errs->n) {
    lua_pushfstring(L, " (and %d more)", (int)(errs->total - errs->n));
    luaL_addvalue(&b);
  }
  if (errs->oom) luaL_addstring(&b, " (out of memory listing errors)");
  luaL_pushresult(&b);
}

static const fws_cmessage *found(lua_State *L, fws_lchannel *c, const fws_cmessage *m, int origin) {
  if (origin >= 0 && m->origin != origin)
    luaL_error(L, "message '%s' of channel %s is sent by the %s, not the %s", m->id, c->ch->name,
               m->origin == FWS_ORIGIN_CLIENT ? "client" : "server", origin == FWS_ORIGIN_CLIENT ? "client" : "server");
  return m;
}

/* Raises for an unknown message id: the ids that side sends, the one probably meant; method
** ("conn:subscribe") goes first when given. */
static void unknown_message(lua_State *L, fws_lchannel *c, const char *id, int origin, const char *method) {
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  /* the ids as an array for fws_lnames_near, in a userdata so that the raise frees it */
  const char **ids = lua_newuserdatauv(L, (cc->nmessages ? cc->nmessages : 1) * sizeof *ids, 0);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t n = 0;
  for (uint32_t i = 0; i < cc->nmessages; i++)
    if (origin < 0 || cc->messages[i].origin == origin) {
      if (n) luaL_addstring(&b, ", ");
      luaL_addstring(&b, cc->messages[i].id);
      ids[n++] = cc->messages[i].id;
    }
  const char *near = fws_lnames_near(id, ids, n);
  if (near) {
    luaL_addstring(&b, "; did you mean '");
    luaL_addstring(&b, near);
    luaL_addstring(&b, "'?");
  }
  luaL_pushresult(&b);
  luaL_error(L, "%s%sunknown message '%s' (channel %s %s: %s)", method ? method : "", method ? ": " : "", id,
             c->ch->name, origin < 0 ? "has" : origin == FWS_ORIGIN_CLIENT ? "clients send" : "servers send",
             n ? lua_tostring(L, -1) : "none");
}

static const fws_cmessage *lookup(lua_State *L, fws_lchannel *c, int idx, int origin, const char *method) {
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  /* the same short string is the same object (and no other value has a string's address) */
  const void *s = lua_topointer(L, idx);
  for (uint32_t i = 0; i < cc->nmessages; i++)
    if (c->ids[i] == s) return found(L, c, &cc->messages[i], origin);
  const char *id = luaL_checkstring(L, idx);
  for (uint32_t i = 0; i < cc->nmessages; i++)
    if (strcmp(cc->messages[i].id, id) == 0) return found(L, c, &cc->messages[i], origin);
  unknown_message(L, c, id, origin, method);
  return NULL;
}

const fws_cmessage *fws_lcodec_message(lua_State *L, fws_lchannel *c, int idx, int origin) {
  return lookup(L, c, idx, origin, NULL);
}

const fws_cmessage *fws_lcodec_sendable(lua_State *L, fws_lchannel *c, int idx, int origin) {
  const fws_cmessage *m = fws_lcodec_message(L, c, idx, origin);
  if (c->ch->messages[m - c->owner->schema->channels[c->index].messages].binary)
    luaL_error(L, "message '%s' of channel %s is binary: send its bytes with send_binary(bytes)", m->id, c->ch->name);
  return m;
}

int fws_lcodec_binary_tag(const fws_channel *ch, int origin) {
  for (size_t i = 0; i < ch->nmessages; i++)
    if (ch->messages[i].binary && (int)ch->messages[i].origin == origin) return (int)i;
  return -1;
}

/* "conn:on", "server:subscribe": the kind of the handle at 1 (its __name less "fernws.") and the
** method, for errors that name what was called. */
static const char *method_name(lua_State *L, const char *method) {
  const char *kind = "?";
  if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) {
    kind = lua_tostring(L, -1);
    if (strncmp(kind, "fernws.", 7) == 0) kind += 7;
  }
  return lua_pushfstring(L, "%s:%s", kind, method);
}

/* The codec's error lists are C memory: turning one into Lua values allocates, and a memory error
** there must not lose it. So the Lua part runs under lua_pcall (these are failure paths only) and
** the list is freed after it, whatever happened; a raised error is raised again then. */
typedef struct report_call {
  fws_codec_ctx *ctx;
  const fws_ct *t;
  const char *what;     /* push_decoded: the text before the errors */
  fws_verrs *errs;
} report_call;

/* encode_slow's second pass: 1 the call, 2 the value, 3 what. Pushes the message. */
static int encode_report(lua_State *L) {
  report_call *r = lua_touserdata(L, 1);
  r->ctx->out.len = 0;
  r->ctx->out.failed = 0;
  fws_encode(L, r->ctx, 2, r->t, FWS_CHECK_ALL, r->errs);
  push_error_text(L, lua_tostring(L, 3), r->errs);
  return 1;
}

/* Runs fn with the call and nargs values at the top; frees errs; raises fn's error again.
** Leaves nres results. */
static void run_report(lua_State *L, lua_CFunction fn, report_call *r, int nargs, int nres) {
  luaL_checkstack(L, 4, "fernws");
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, r);
  lua_rotate(L, -nargs - 2, 2);
  int rc = lua_pcall(L, nargs + 1, nres, 0);
  fws_verrs_free(r->errs);
  if (rc != LUA_OK) lua_error(L);
}

void fws_lcodec_encode_slow(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, const char *fmt,
                            const char *name, int rc, fws_verrs *first) {
  fws_verrs_free(first);
  if (rc == 0) return; /* union members that failed before one fitted listed something */
  /* the fast pass stops at the first error: a second pass lists them all */
  idx = lua_absindex(L, idx);
  luaL_where(L, 1);
  lua_pushfstring(L, fmt, name);
  lua_concat(L, 2);
  lua_pushvalue(L, idx);
  lua_insert(L, -2);
  fws_verrs errs;
  memset(&errs, 0, sizeof errs);
  report_call r = {ctx, t, NULL, &errs};
  run_report(L, encode_report, &r, 2, 1);
  lua_error(L);
}

/* check_value's work: 1 the call, 2 the value. Pushes true, or false and the list. */
static int check_report(lua_State *L) {
  report_call *r = lua_touserdata(L, 1);
  r->ctx->out.len = 0;
  r->ctx->out.failed = 0;
  if (fws_encode(L, r->ctx, 2, r->t, FWS_CHECK_ALL, r->errs) == 0) {
    lua_pushboolean(L, 1);
    lua_pushnil(L);
    return 2;
  }
  lua_pushboolean(L, 0);
  push_errors(L, r->errs);
  return 2;
}

static int check_value(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t) {
  fws_verrs errs = {0};
  report_call r = {ctx, t, NULL, &errs};
  lua_pushvalue(L, idx);
  run_report(L, check_report, &r, 1, 2);
  if (lua_toboolean(L, -2)) {
    lua_pop(L, 1);
    return 1;
  }
  return 2;
}

int fws_lcodec_set_handler(lua_State *L, int uv, const char *const *events) {
  const char *name = luaL_checkstring(L, 2);
  int e = 0;
  while (events[e] && strcmp(events[e], name) != 0) e++;
  if (!events[e]) fws_lunknown(L, method_name(L, "on"), "event", "events", name, events, (size_t)e);
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_getiuservalue(L, 1, uv);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, events[e]);
  lua_settop(L, 1);
  return 1;
}

int fws_lcodec_set_subscription(lua_State *L, int uv, fws_lchannel *ch, int origin) {
  const char *id = luaL_checkstring(L, 2);
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_Integer key = 0; /* "*" */
  if (strcmp(id, "*") != 0) {
    const fws_cmessage *m = lookup(L, ch, 2, origin, method_name(L, "subscribe"));
    lua_pop(L, 1);
    key = (lua_Integer)(m - ch->owner->schema->channels[ch->index].messages) + 1;
  }
  lua_getiuservalue(L, 1, uv);
  lua_pushvalue(L, 3);
  lua_rawseti(L, -2, key);
  lua_settop(L, 1);
  return 1;
}

/* push_decoded's work: 1 the call. Pushes nil, the text, the list. */
static int decoded_report(lua_State *L) {
  report_call *r = lua_touserdata(L, 1);
  lua_pushnil(L);
  push_error_text(L, r->what, r->errs);
  push_errors(L, r->errs);
  return 3;
}

int fws_lcodec_push_decoded(lua_State *L, int rc, fws_verrs *errs, const char *what) {
  if (rc == 0) {
    fws_verrs_free(errs);
    return 0;
  }
  report_call r = {NULL, NULL, what, errs};
  run_report(L, decoded_report, &r, 0, 3);
  return 3;
}

struct fws_infoslot {
  const char *id, *variant;  /* addresses of model and schema strings: stable while the api lives */
  int ref;                   /* 0: a free slot */
};

static uint32_t info_hash(const char *id, const char *variant, uint32_t mask) {
  uint64_t h = (uint64_t)(uintptr_t)id * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)variant * 0xC2B2AE3D27D4EB4Fu;
  return (uint32_t)(h >> 32) & mask;
}

static struct fws_infoslot *info_slot(struct fws_infoslot *slots, uint32_t cap, const char *id, const char *variant) {
  uint32_t i = info_hash(id, variant, cap - 1);
  while (slots[i].ref && (slots[i].id != id || slots[i].variant != variant)) i = (i + 1) & (cap - 1);
  return &slots[i];
}

/* Keeps the table at the top as the info of (id, variant); pops it. Out of memory: not kept. */
static void info_keep(lua_State *L, fws_lapi *a, const char *id, const char *variant) {
  if ((a->ninfos + 1) * 2 > a->infocap) {
    uint32_t cap = a->infocap ? a->infocap * 2 : 16;
    struct fws_infoslot *slots = calloc(cap, sizeof *slots);
    if (!slots) {
      lua_pop(L, 1);
      return;
    }
    for (uint32_t i = 0; i < a->infocap; i++)
      if (a->infos[i].ref) *info_slot(slots, cap, a->infos[i].id, a->infos[i].variant) = a->infos[i];
    free(a->infos);
    a->infos = slots;
    a->infocap = cap;
  }
  struct fws_infoslot *s = info_slot(a->infos, a->infocap, id, variant);
  s->id = id;
  s->variant = variant;
  s->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  a->ninfos++;
}

void fws_lcodec_push_info(lua_State *L, fws_lapi *a, const char *id, const char *variant) {
  if (a->infocap) {
    const struct fws_infoslot *s = info_slot(a->infos, a->infocap, id, variant);
    if (s->ref) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref);
      return;
    }
  }
  lua_createtable(L, 0, 2);
  if (id) {
    lua_pushstring(L, id);
    lua_setfield(L, -2, "id");
  }
  if (variant) {
    lua_pushstring(L, variant);
    lua_setfield(L, -2, "variant");
  }
  lua_pushvalue(L, -1);
  info_keep(L, a, id, variant);
}

void fws_lcodec_free_infos(lua_State *L, fws_lapi *a) {
  for (uint32_t i = 0; i < a->infocap; i++)
    if (a->infos[i].ref) luaL_unref(L, LUA_REGISTRYINDEX, a->infos[i].ref);
  free(a->infos);
  a->infos = NULL;
  a->ninfos = a->infocap = 0;
}

enum { FWS_DECODE_MAX_SIZE = 16 << 20 }; /* as a connection's default max_message_size */

static int origin_of(const char *s, size_t n) {
  if (n == 6 && memcmp(s, "client", 6) == 0) return FWS_ORIGIN_CLIENT;
  if (n == 6 && memcmp(s, "server", 6) == 0) return FWS_ORIGIN_SERVER;
  return -1;
}

/* {strict=, origin=, max_depth=, max_size=} or an origin string */
static void decode_opts(lua_State *L, int idx, fws_decode_opts *o, int *origin, size_t *max_size) {
  o->strict = 0;
  o->max_depth = 0;
  o->anchor = 0;
  *max_size = FWS_DECODE_MAX_SIZE;
  if (lua_isnoneornil(L, idx)) return;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if ((*origin = origin_of(s, n)) < 0) luaL_argerror(L, idx, "origin must be \"client\" or \"server\"");
    return;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  static const char *const keys[] = {"max_depth", "max_size", "origin", "strict", NULL};
  fws_lopts_check(L, idx, "decode", keys);
  lua_getfield(L, idx, "strict");
  o->strict = lua_toboolean(L, -1);
  lua_getfield(L, idx, "origin");
  if (!lua_isnil(L, -1)) {
    const char *s = luaL_checkstring(L, -1);
    if (strcmp(s, "client") == 0) *origin = FWS_ORIGIN_CLIENT;
    else if (strcmp(s, "server") == 0) *origin = FWS_ORIGIN_SERVER;
    else luaL_error(L, "origin must be \"client\" or \"server\"");
  }
  lua_getfield(L, idx, "max_depth");
  o->max_depth = (size_t)luaL_optinteger(L, -1, 0);
  lua_getfield(L, idx, "max_size");
  lua_Integer ms = luaL_optinteger(L, -1, FWS_DECODE_MAX_SIZE);
  if (ms > 0) *max_size = (size_t)ms;
  lua_pop(L, 4);
}

/* Pushes the codec's anchor table for a decode; its stack index (the results are the values above
** it, so it needs no removing). */
static int push_anchor(lua_State *L, const fws_codec_ctx *ctx) {
  if (ctx->anchor_ref <= 0) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->anchor_ref);
  return lua_gettop(L);
}

/* A text over the size limit is refused before any parsing: nil, err as for bad input. */
static int too_large(lua_State *L, size_t len, size_t max) {
  lua_pushnil(L);
  lua_pushfstring(L, "cannot decode: the text is %I bytes, over the limit of %I (max_size)", (lua_Integer)len,
                  (lua_Integer)max);
  return 2;
}

int fws_lchannel_check_msg(lua_State *L) {
  fws_lchannel *c = fws_lchannel_self(L, NULL);
  const fws_cmessage *m = fws_lcodec_message(L, c, 2, -1);
  luaL_checkany(L, 3);
  return check_value(L, &c->owner->codec, 3, m->type);
}

int fws_lchannel_encode(lua_State *L) {
  fws_lchannel *c = fws_lchannel_self(L, NULL);
  const fws_cmessage *m = fws_lcodec_message(L, c, 2, -1);
  luaL_checkany(L, 3);
  fws_codec_ctx *ctx = &c->owner->codec;
  fws_lcodec_encode(L, ctx, 3, m->type, "invalid '%s' message", m->id);
  lua_pushlstring(L, ctx->out.data, ctx->out.len);
  return 1;
}

int fws_lchannel_decode(lua_State *L) {
  int own;
  fws_lchannel *c = fws_lchannel_self(L, &own);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  int origin = FWS_ORIGIN_SERVER;
  fws_decode_opts o;
  size_t max_size;
  decode_opts(L, 3, &o, &origin, &max_size);
  if (len > max_size) return too_large(L, len, max_size);
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  o.anchor = push_anchor(L, &c->owner->codec);
  fws_verrs errs = {0};
  fws_decoded out;
  int rc = fws_decode_dispatch(L, &c->owner->codec, text, len, origin == FWS_ORIGIN_SERVER ? &cc->server : &cc->client,
                               &o, &errs, &out);
  if (rc) return fws_lcodec_push_decoded(L, rc, &errs, "cannot decode the message");
  if (errs.items) fws_verrs_free(&errs);
  const char *id = cc->messages[out.tag].id;
  /* the id string kept by the method's own channel (not when called on another channel) */
  if (!own || lua_rawgeti(L, lua_upvalueindex(2), out.tag + 1) != LUA_TSTRING) {
    if (own) lua_pop(L, 1);
    lua_pushstring(L, id);
  }
  lua_insert(L, -2);
  fws_lcodec_push_info(L, c->owner, id, out.variant);
  return 3;
}

static const fws_ct *api_ct(lua_State *L, fws_lapi *a, int idx) {
  const char *name = luaL_checkstring(L, idx);
  int ambiguous;
  const fws_type *t = fws_api_type(a->api, name, &ambiguous);
  if (!t) luaL_error(L, ambiguous ? "type name '%s' is ambiguous" : "unknown type '%s'", name);
  return a->schema->decls[t->index];
}

int fws_lapi_check_type(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const fws_ct *t = api_ct(L, a, 2);
  luaL_checkany(L, 3);
  return check_value(L, &a->codec, 3, t);
}

int fws_lapi_encode_type(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const fws_ct *t = api_ct(L, a, 2);
  luaL_checkany(L, 3);
  fws_lcodec_encode(L, &a->codec, 3, t, "invalid %s", lua_tostring(L, 2));
  lua_pushlstring(L, a->codec.out.data, a->codec.out.len);
  return 1;
}

int fws_lapi_decode_type(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const fws_ct *t = api_ct(L, a, 2);
  size_t len;
  const char *text = luaL_checklstring(L, 3, &len);
  int origin = -1;
  fws_decode_opts o;
  size_t max_size;
  decode_opts(L, 4, &o, &origin, &max_size);
  if (len > max_size) return too_large(L, len, max_size);
  o.anchor = push_anchor(L, &a->codec);
  fws_verrs errs = {0};
  fws_decoded out;
  int rc = fws_decode(L, &a->codec, text, len, t, &o, &errs, &out);
  if (rc) return fws_lcodec_push_decoded(L, rc, &errs, "cannot decode the value");
  fws_verrs_free(&errs);
  fws_lcodec_push_info(L, a, NULL, out.variant);
  return 2;
}
