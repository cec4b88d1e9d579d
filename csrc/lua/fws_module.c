/* luaopen_fernws: the module table and the metatables of every handle. */
#include "lua/fws_lconn.h"
#include "lua/fws_lserver.h"
#include "lua/fws_lua.h"

#define FWS_VERSION "0.1.0"

int luaopen_fernws(lua_State *L);

const char fws_key_api, fws_key_channel, fws_key_type, fws_key_conn, fws_key_server;

void *fws_lcheck(lua_State *L, int idx, const void *key, size_t size, const char *tname) {
  void *p = lua_touserdata(L, idx);
  /* the size first, so a smaller foreign userdata is never read past its end */
  if (p && lua_type(L, idx) == LUA_TUSERDATA && lua_rawlen(L, idx) == size && *(const void *const *)p == key)
    return p;
  luaL_typeerror(L, idx, tname);
  return NULL;
}

static int index_fn(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  lua_CFunction fields = lua_tocfunction(L, lua_upvalueindex(2));
  return fields ? fields(L) : 0;
}

void fws_lsetup_mt(lua_State *L, const void *key, const luaL_Reg *methods, lua_CFunction fields) {
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  if (fields) lua_pushcfunction(L, fields);
  else lua_pushnil(L);
  lua_pushcclosure(L, index_fn, 2);
  lua_setfield(L, -2, "__index");
}

/* fernws.mock(channel, opts): the Lua-side mock server (lua/fernws/mock.lua), loaded on first use. */
static int l_mock(lua_State *L) {
  int n = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "fernws.mock");
  lua_call(L, 1, 1);
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

int luaopen_fernws(lua_State *L) {
  luaL_checkversion(L);
  /* tables with this metatable are JSON arrays even when empty (decoded `[]` in unknown values) */
  if (luaL_newmetatable(L, FWS_ARRAY_MT)) {
    lua_pushliteral(L, "fernws.array");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  fws_lapi_open(L);
  fws_lchannel_open(L);
  fws_ltype_open(L);

  static const luaL_Reg funcs[] = {{"load", fws_lapi_load}, {"mock", l_mock}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushliteral(L, FWS_VERSION);
  lua_setfield(L, -2, "VERSION");
  lua_pushliteral(L, FWS_VERSION);
  lua_setfield(L, -2, "version");
  /* the same light userdata as cjson.null, so values pass between the two unchanged */
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  luaL_getmetatable(L, FWS_ARRAY_MT);
  lua_setfield(L, -2, "array_mt");
  fws_lstate_open(L, -1);
  fws_lconn_open(L);
  fws_lserver_open(L);
  return 1;
}
