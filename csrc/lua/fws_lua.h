/* Shared declarations of the Lua bindings (csrc/lua), the only layer that sees both Lua and the
** layers below. */
#ifndef FWS_LUA_H
#define FWS_LUA_H

#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "defn/fws_model.h"
#include "types/fws_codec.h"

#define FWS_API_MT "fernws.api"
#define FWS_CHANNEL_MT "fernws.channel"
#define FWS_TYPE_MT "fernws.type"

struct fws_schema;

/* The api userdata. Uservalue 1: a cache table (type objects by pointer, channel objects by name,
** field tables). Channels and types keep the api alive through their own uservalue. */
/* Every handle struct starts with a tag: the address of its type's key below. */
typedef struct fws_lapi {
  const void *tag;
  fws_api *api;
  struct fws_schema *schema;
  fws_codec_ctx codec;  /* scratch buffers reused by every check/encode/decode of this api */
  /* the shared info tables of decoded messages: registry refs by (id, variant) address, open
  ** addressing (see fws_lcodec_push_info) */
  struct fws_infoslot *infos;
  uint32_t ninfos, infocap;
} fws_lapi;

/* Registry key of the table that marks arrays (fernws.array_mt). */
#define FWS_ARRAY_MT "fernws.array_mt"

/* Uservalue 1: the api; 2: a cache table of built fields; 3: the anchored message-id strings. */
typedef struct fws_lchannel {
  const void *tag;
  const fws_channel *ch;
  fws_lapi *owner;
  int index;            /* in api->channels, also its index in the schema */
  /* each message id as a Lua string (lua_topointer; kept alive by uservalue 3): short strings are
  ** interned, so a message named by one is found by comparing addresses */
  const void **ids;
} fws_lchannel;

typedef struct fws_ltype {
  const void *tag;
  const fws_type *t;
  fws_lapi *owner;
} fws_ltype;

/* Registry keys (their addresses) of the handle metatables: checks compare by pointer, with no
** string look-up on every method call. */
extern const char fws_key_api, fws_key_channel, fws_key_type, fws_key_conn, fws_key_server;

/* luaL_checkudata, cheaper: a full userdata of this size whose tag is key (a metatable look-up in
** the registry cost more than the rest of a small encode). Raises naming tname otherwise. */
void *fws_lcheck(lua_State *L, int idx, const void *key, size_t size, const char *tname);
/* Makes the metatable at the top the one of key, with __index looking up methods first (a raw
** get in an upvalue table) and then calling fields(L) for what is not a method. */
void fws_lsetup_mt(lua_State *L, const void *key, const luaL_Reg *methods, lua_CFunction fields);

/* Module parts: each registers its metatable. */
void fws_lapi_open(lua_State *L);
void fws_lchannel_open(lua_State *L);
void fws_ltype_open(lua_State *L);

int fws_lapi_load(lua_State *L);
fws_lapi *fws_lapi_check(lua_State *L, int idx);
fws_lchannel *fws_lchannel_check(lua_State *L, int idx);
/* The channel at 1 in a channel method: cheap when it is the channel the method closes over
** (then *own is 1: the method's upvalues are that channel's). own may be NULL. */
fws_lchannel *fws_lchannel_self(lua_State *L, int *own);

/* Pushes the channel object for api at api_idx (cached, so the same object each time). */
void fws_lchannel_push(lua_State *L, int api_idx, int index);
/* Pushes a type object (declarations cached per api). References show their declaration. */
void fws_ltype_push(lua_State *L, int api_idx, const fws_type *t);
/* A YAML node as a Lua value (scalars by their YAML type, null as fernws.null). */
void fws_lnode_push(lua_State *L, const fws_node *n, int depth);
/* {file=, line=, column=} fields into the table at the top. */
void fws_lpos_set(lua_State *L, fws_pos pos);

/* A field of the cache table in uservalue `uv` of the userdata at idx; builds it with fn on first
** use. Leaves the value on the stack. */
void fws_lcache_get(lua_State *L, int idx, int uv, const char *key, void (*fn)(lua_State *L, int idx));
/* The list of {name, type, docs, default, required, ...} for headers and parameters. */
void fws_lparams_push(lua_State *L, int api_idx, const fws_param *ps, size_t n);

#endif
