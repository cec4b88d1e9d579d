/* The api object: fernws.load() and what a loaded definition tells. */
#include <stdlib.h>
#include <string.h>

#include "lua/fws_lcodec.h"
#include "lua/fws_lopts.h"
#include "lua/fws_lpairs.h"
#include "lua/fws_lua.h"
#include "types/fws_schema.h"

fws_lapi *fws_lapi_check(lua_State *L, int idx) {
  fws_lapi *a = fws_lcheck(L, idx, &fws_key_api, sizeof *a, FWS_API_MT);
  if (!a->api) luaL_error(L, "attempt to use a freed api");
  return a;
}

void fws_lpos_set(lua_State *L, fws_pos pos) {
  lua_pushstring(L, pos.file ? pos.file : "?");
  lua_setfield(L, -2, "file");
  lua_pushinteger(L, pos.line);
  lua_setfield(L, -2, "line");
  lua_pushinteger(L, pos.col);
  lua_setfield(L, -2, "column");
}

void fws_lcache_get(lua_State *L, int idx, int uv, const char *key, void (*fn)(lua_State *L, int idx)) {
  idx = lua_absindex(L, idx);
  lua_getiuservalue(L, idx, uv);
  if (lua_getfield(L, -1, key) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  fn(L, idx);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, key);
  lua_remove(L, -2);
}

static void push_diags(lua_State *L, const fws_api *api, fws_severity sev) {
  lua_newtable(L);
  int n = 0;
  for (size_t i = 0; i < api->diags.n; i++) {
    const fws_diag *d = &api->diags.items[i];
    if (d->severity != sev) continue;
    lua_createtable(L, 0, 4);
    fws_lpos_set(L, d->pos);
    lua_pushstring(L, d->message);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, -2, ++n);
  }
}

/* "file:line:col: message" lines, for the error string of a failed load. */
static void push_diag_text(lua_State *L, const fws_api *api, fws_severity sev) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  fws_arena tmp;
  fws_arena_init(&tmp);
  int first = 1;
  for (size_t i = 0; i < api->diags.n; i++) {
    const fws_diag *d = &api->diags.items[i];
    if (d->severity != sev) continue;
    char *line = fws_diag_format(&tmp, d);
    if (!first) luaL_addchar(&b, '\n');
    luaL_addstring(&b, line ? line : d->message);
    first = 0;
  }
  if (sev == FWS_ERROR && api->diags.dropped) {
    lua_pushfstring(L, "\n(%d more not shown)", (int)api->diags.dropped);
    luaL_addvalue(&b);
  }
  fws_arena_free(&tmp);
  luaL_pushresult(&b);
}

/* fernws.load(path [, {lenient = true, strict = true}]) -> api | nil, message, errors */
int fws_lapi_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  fws_load_opts opts = {0};
  if (!lua_isnoneornil(L, 2)) {
    static const char *const keys[] = {"lenient", "strict", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    fws_lopts_check(L, 2, "fernws.load", keys);
    lua_getfield(L, 2, "lenient");
    opts.lenient = lua_toboolean(L, -1);
    lua_getfield(L, 2, "strict");
    opts.strict = lua_toboolean(L, -1);
    lua_pop(L, 2);
  }
  /* marked empty before the model exists, so an error leaves a consistent object (liolib) */
  fws_lapi *a = lua_newuserdatauv(L, sizeof *a, 1);
  memset(a, 0, sizeof *a);
  a->tag = &fws_key_api;
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_ARRAY_MT);
  a->codec.array_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  a->codec.anchor_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_setmetatable(L, FWS_API_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  a->api = fws_load(path, &opts);
  if (!a->api) return luaL_error(L, "out of memory loading %s", path);
  if (a->api->diags.nerrors == 0) {
    a->schema = fws_schema_compile(a->api);
    if (!a->schema) return luaL_error(L, "out of memory compiling %s", path);
    a->codec.match_data = a->schema->match_data;
  }
  if (a->api->diags.nerrors) {
    lua_pushnil(L);
    push_diag_text(L, a->api, FWS_ERROR);
    push_diags(L, a->api, FWS_ERROR);
    /* what a failed load also has to say: its warnings, and how many errors were not kept */
    push_diags(L, a->api, FWS_WARNING);
    lua_setfield(L, -2, "warnings");
    lua_pushinteger(L, (lua_Integer)a->api->diags.dropped);
    lua_setfield(L, -2, "more");
    return 3;
  }
  return 1;
}

static int api_gc(lua_State *L) {
  fws_lapi *a = luaL_checkudata(L, 1, FWS_API_MT);
  fws_buf_free(&a->codec.out);
  fws_buf_free(&a->codec.scratch);
  if (a->codec.array_mt_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, a->codec.array_mt_ref);
  a->codec.array_mt_ref = LUA_NOREF;
  if (a->codec.anchor_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, a->codec.anchor_ref);
  a->codec.anchor_ref = LUA_NOREF;
  if (a->codec.tmp_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, a->codec.tmp_ref);
  a->codec.tmp_ref = LUA_NOREF;
  fws_lcodec_free_infos(L, a);
  fws_schema_free(a->schema);
  a->schema = NULL;
  fws_api_free(a->api);
  a->api = NULL;
  return 0;
}

static int api_channels(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  lua_createtable(L, (int)a->api->nchannels, 0);
  for (size_t i = 0; i < a->api->nchannels; i++) {
    lua_pushstring(L, a->api->channels[i]->name);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int api_channel(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  for (size_t i = 0; i < a->api->nchannels; i++)
    if (strcmp(a->api->channels[i]->name, name) == 0) {
      fws_lchannel_push(L, 1, (int)i);
      return 1;
    }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < a->api->nchannels; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, a->api->channels[i]->name);
  }
  luaL_pushresult(&b);
  return luaL_error(L, "unknown channel '%s' (channels: %s)", name,
                    a->api->nchannels ? lua_tostring(L, -1) : "none");
}

static int api_type(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int ambiguous;
  const fws_type *t = fws_api_type(a->api, name, &ambiguous);
  if (!t) {
    if (ambiguous) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      int n = 0;
      for (size_t i = 0; i < a->api->ntypes; i++)
        if (a->api->types[i]->short_name && strcmp(a->api->types[i]->short_name, name) == 0) {
          if (n++) luaL_addstring(&b, ", ");
          luaL_addstring(&b, a->api->types[i]->name);
        }
      luaL_pushresult(&b);
      return luaL_error(L, "type name '%s' is ambiguous: %s", name, lua_tostring(L, -1));
    }
    return luaL_error(L, "unknown type '%s'", name);
  }
  fws_ltype_push(L, 1, t);
  return 1;
}

static int api_types(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  lua_createtable(L, (int)a->api->ntypes, 0);
  for (size_t i = 0; i < a->api->ntypes; i++) {
    lua_pushstring(L, a->api->types[i]->name);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static void build_warnings(lua_State *L, int idx) {
  fws_lapi *a = lua_touserdata(L, idx);
  push_diags(L, a->api, FWS_WARNING);
}

static void build_environments(lua_State *L, int idx) {
  fws_lapi *a = lua_touserdata(L, idx);
  lua_newtable(L);
  for (size_t i = 0; i < a->api->nenvironments; i++) {
    const fws_environment *e = &a->api->environments[i];
    if (e->url) {
      lua_pushstring(L, e->url);
    } else {
      lua_createtable(L, 0, (int)e->nurls);
      for (size_t j = 0; j < e->nurls; j++) {
        lua_pushstring(L, e->urls[j].url);
        lua_setfield(L, -2, e->urls[j].id);
      }
    }
    lua_setfield(L, -2, e->name);
  }
}

static void push_scheme(lua_State *L, const fws_auth_scheme *s) {
  static const char *const kinds[] = {"bearer", "basic", "header", "oauth", "inferred"};
  lua_createtable(L, 0, 8);
  lua_pushstring(L, s->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, kinds[s->kind]);
  lua_setfield(L, -2, "kind");
#define SETS(field, key) if (s->field) { lua_pushstring(L, s->field); lua_setfield(L, -2, key); }
  SETS(header, "header")
  SETS(query, "query")
  SETS(prefix, "prefix")
  SETS(sdk_name, "option")
  SETS(env, "env")
  SETS(username_env, "username_env")
  SETS(password_env, "password_env")
  SETS(docs, "docs")
#undef SETS
}

static void build_auth(lua_State *L, int idx) {
  fws_lapi *a = lua_touserdata(L, idx);
  lua_createtable(L, (int)a->api->nauth, 0);
  for (size_t i = 0; i < a->api->nauth; i++) {
    push_scheme(L, a->api->auth[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void build_headers(lua_State *L, int idx) {
  fws_lapi *a = lua_touserdata(L, idx);
  fws_lparams_push(L, idx, a->api->headers, a->api->nheaders);
}

static int api_index(lua_State *L) {
  fws_lapi *a = fws_lapi_check(L, 1);
  const char *k = luaL_checkstring(L, 2);
  const fws_api *api = a->api;
  if (strcmp(k, "name") == 0) lua_pushstring(L, api->name);
  else if (strcmp(k, "display_name") == 0) lua_pushstring(L, api->display_name);
  else if (strcmp(k, "docs") == 0) lua_pushstring(L, api->docs);
  else if (strcmp(k, "root") == 0) lua_pushstring(L, api->root);
  else if (strcmp(k, "default_environment") == 0) lua_pushstring(L, api->default_environment);
  else if (strcmp(k, "default_url") == 0) lua_pushstring(L, api->default_url);
  else if (strcmp(k, "base_path") == 0) lua_pushstring(L, api->base_path);
  else if (strcmp(k, "warnings") == 0) fws_lcache_get(L, 1, 1, "warnings", build_warnings);
  else if (strcmp(k, "environments") == 0) fws_lcache_get(L, 1, 1, "environments", build_environments);
  else if (strcmp(k, "auth") == 0) fws_lcache_get(L, 1, 1, "auth", build_auth);
  else if (strcmp(k, "headers") == 0) fws_lcache_get(L, 1, 1, "headers", build_headers);
  else lua_pushnil(L);
  return 1;
}

/* "fernws.api hume (4 channels: a, b, c, d; 300 types)": what a REPL shows of it */
static int api_tostring(lua_State *L) {
  fws_lapi *a = luaL_checkudata(L, 1, FWS_API_MT);
  if (!a->api) {
    lua_pushliteral(L, "fernws.api (freed)");
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t n = a->api->nchannels;
  lua_pushfstring(L, "fernws.api %s (%d channel%s", a->api->name, (int)n, n == 1 ? "" : "s");
  luaL_addvalue(&b);
  for (size_t i = 0; i < n && i < 6; i++) {
    luaL_addstring(&b, i ? ", " : ": ");
    luaL_addstring(&b, a->api->channels[i]->name);
  }
  if (n > 6) luaL_addstring(&b, ", ...");
  lua_pushfstring(L, "; %d type%s)", (int)a->api->ntypes, a->api->ntypes == 1 ? "" : "s");
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  return 1;
}


void fws_lapi_open(lua_State *L) {
  /* no __close: channels, types and connections still use the model after the api goes out of scope */
  static const luaL_Reg meta[] = {{"__gc", api_gc},
                                  {"__tostring", api_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"channels", api_channels}, {"channel", api_channel},
                                     {"type", api_type}, {"types", api_types},
                                     {"check", fws_lapi_check_type}, {"encode", fws_lapi_encode_type},
                                     {"decode", fws_lapi_decode_type}, {NULL, NULL}};
  static const char *const fields[] = {"name", "display_name", "docs", "root", "default_environment", "default_url",
                                      "base_path", "environments", "auth", "headers", "warnings", "channels",
                                      "channel", "types", "type", "check", "encode", "decode", NULL};
  luaL_newmetatable(L, FWS_API_MT);
  luaL_setfuncs(L, meta, 0);
  fws_lpairs_push(L, fields);
  lua_setfield(L, -2, "__pairs");
  fws_lsetup_mt(L, &fws_key_api, methods, api_index);
  lua_pop(L, 1);
}
