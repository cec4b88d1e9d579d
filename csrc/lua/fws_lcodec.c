/* check / encode / decode on channels (by message id) and on the api (by type name). */
#include <string.h>

#include "lua/fws_lua.h"
#include "lua/fws_lcodec.h"
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

const fws_cmessage *fws_lcodec_message(lua_State *L, fws_lchannel *c, int idx, int origin) {
  const char *id = luaL_checkstring(L, idx);
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  for (uint32_t i = 0; i < cc->nmessages; i++)
    if (strcmp(cc->messages[i].id, id) == 0) {
      if (origin >= 0 && cc->messages[i].origin != origin)
        luaL_error(L, "message '%s' of channel %s is sent by the %s, not the %s", id, c->ch->name,
                   cc->messages[i].origin == FWS_ORIGIN_CLIENT ? "client" : "server",
                   origin == FWS_ORIGIN_CLIENT ? "client" : "server");
      return &cc->messages[i];
    }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int n = 0;
  for (uint32_t i = 0; i < cc->nmessages; i++)
    if (origin < 0 || cc->messages[i].origin == origin) {
      if (n++) luaL_addstring(&b, ", ");
      luaL_addstring(&b, cc->messages[i].id);
    }
  luaL_pushresult(&b);
  luaL_error(L, "unknown message '%s' (channel %s %s: %s)", id, c->ch->name,
             origin < 0 ? "has" : origin == FWS_ORIGIN_CLIENT ? "clients send" : "servers send",
             n ? lua_tostring(L, -1) : "none");
  return NULL;
}

/* Encodes into ctx->out; on failure raises "invalid <what>: every error". */
void fws_lcodec_encode(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, const char *fmt,
                       const char *name) {
  ctx->out.len = 0;
  ctx->out.failed = 0;
  fws_verrs errs = {0};
  if (fws_encode(L, ctx, idx, t, 0, &errs) == 0) {
    fws_verrs_free(&errs);
    return;
  }
  /* the fast pass stops at the first error: a second pass lists them all */
  fws_verrs_free(&errs);
  memset(&errs, 0, sizeof errs);
  ctx->out.len = 0;
  ctx->out.failed = 0;
  fws_encode(L, ctx, idx, t, FWS_CHECK_ALL, &errs);
  luaL_where(L, 1);
  const char *what = lua_pushfstring(L, fmt, name);
  push_error_text(L, what, &errs);
  lua_remove(L, -2);
  fws_verrs_free(&errs);
  lua_concat(L, 2);
  lua_error(L);
}

static int check_value(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t) {
  ctx->out.len = 0;
  ctx->out.failed = 0;
  fws_verrs errs = {0};
  if (fws_encode(L, ctx, idx, t, FWS_CHECK_ALL, &errs) == 0) {
    fws_verrs_free(&errs);
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  push_errors(L, &errs);
  fws_verrs_free(&errs);
  return 2;
}

int fws_lcodec_set_handler(lua_State *L, int uv, const char *const *events) {
  int e = luaL_checkoption(L, 2, NULL, events);
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
  if (strcmp(id, "*") != 0) fws_lcodec_message(L, ch, 2, origin);
  lua_getiuservalue(L, 1, uv);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, id);
  lua_settop(L, 1);
  return 1;
}

int fws_lcodec_push_decoded(lua_State *L, int rc, fws_verrs *errs, const char *what) {
  if (rc == 0) return 0;
  lua_pushnil(L);
  push_error_text(L, what, errs);
  push_errors(L, errs);
  return 3;
}

static const char no_key;

void fws_lcodec_push_info(lua_State *L, fws_lapi *a, const char *id, const char *variant) {
  /* ids and variant names are strings of the model and schema: their addresses are stable keys */
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->info_ref);
  const void *vk = variant ? (const void *)variant : &no_key, *ik = id ? (const void *)id : &no_key;
  if (lua_rawgetp(L, -1, vk) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, vk);
  }
  if (lua_rawgetp(L, -1, ik) != LUA_TTABLE) {
    lua_pop(L, 1);
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
    lua_rawsetp(L, -3, ik);
  }
  lua_replace(L, -3);
  lua_pop(L, 1);
}

enum { FWS_DECODE_MAX_SIZE = 16 << 20 }; /* as a connection's default max_message_size */

/* {strict=, origin=, max_depth=, max_size=} or an origin string */
static void decode_opts(lua_State *L, int idx, fws_decode_opts *o, int *origin, size_t *max_size) {
  memset(o, 0, sizeof *o);
  *max_size = FWS_DECODE_MAX_SIZE;
  if (lua_isnoneornil(L, idx)) return;
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *s = lua_tostring(L, idx);
    if (strcmp(s, "client") == 0) *origin = FWS_ORIGIN_CLIENT;
    else if (strcmp(s, "server") == 0) *origin = FWS_ORIGIN_SERVER;
    else luaL_argerror(L, idx, "origin must be \"client\" or \"server\"");
    return;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
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

/* A text over the size limit is refused before any parsing: nil, err as for bad input. */
static int too_large(lua_State *L, size_t len, size_t max) {
  lua_pushnil(L);
  lua_pushfstring(L, "cannot decode: the text is %I bytes, over the limit of %I (max_size)", (lua_Integer)len,
                  (lua_Integer)max);
  return 2;
}

int fws_lchannel_check_msg(lua_State *L) {
  fws_lchannel *c = fws_lchannel_check(L, 1);
  const fws_cmessage *m = fws_lcodec_message(L, c, 2, -1);
  luaL_checkany(L, 3);
  return check_value(L, &c->owner->codec, 3, m->type);
}

int fws_lchannel_encode(lua_State *L) {
  fws_lchannel *c = fws_lchannel_check(L, 1);
  const fws_cmessage *m = fws_lcodec_message(L, c, 2, -1);
  luaL_checkany(L, 3);
  fws_codec_ctx *ctx = &c->owner->codec;
  fws_lcodec_encode(L, ctx, 3, m->type, "invalid '%s' message", m->id);
  lua_pushlstring(L, ctx->out.data, ctx->out.len);
  return 1;
}

int fws_lchannel_decode(lua_State *L) {
  fws_lchannel *c = fws_lchannel_check(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  int origin = FWS_ORIGIN_SERVER;
  fws_decode_opts o;
  size_t max_size;
  decode_opts(L, 3, &o, &origin, &max_size);
  if (len > max_size) return too_large(L, len, max_size);
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  fws_verrs errs = {0};
  fws_decoded out;
  int rc = fws_decode_dispatch(L, &c->owner->codec, text, len, origin == FWS_ORIGIN_SERVER ? &cc->server : &cc->client,
                               &o, &errs, &out);
  if (rc) {
    int n = fws_lcodec_push_decoded(L, rc, &errs, "cannot decode the message");
    fws_verrs_free(&errs);
    return n;
  }
  fws_verrs_free(&errs);
  const char *id = cc->messages[out.tag].id;
  lua_pushstring(L, id);
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
  fws_verrs errs = {0};
  fws_decoded out;
  int rc = fws_decode(L, &a->codec, text, len, t, &o, &errs, &out);
  if (rc) {
    int n = fws_lcodec_push_decoded(L, rc, &errs, "cannot decode the value");
    fws_verrs_free(&errs);
    return n;
  }
  fws_verrs_free(&errs);
  fws_lcodec_push_info(L, a, NULL, out.variant);
  return 2;
}
