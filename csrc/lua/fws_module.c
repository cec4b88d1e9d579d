/* luaopen_fernws: the module table and the metatables of every handle. */
#include "lua/fws_lconn.h"
#include "lua/fws_lserver.h"
#include "lua/fws_lua.h"

#define FWS_VERSION "0.1.0"

int luaopen_fernws(lua_State *L);

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
