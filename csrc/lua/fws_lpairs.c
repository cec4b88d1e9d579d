/* __pairs for api, channel and type objects: a REPL or a debugger can walk them like tables. */
#include <string.h>

#include "lua/fws_lpairs.h"

/* next(handle, key): the next name after key whose value is not nil. Upvalue 1: the names. */
static int pairs_next(lua_State *L) {
  const char *const *names = lua_touserdata(L, lua_upvalueindex(1));
  size_t i = 0;
  if (!lua_isnil(L, 2)) {
    const char *k = lua_tostring(L, 2);
    while (names[i] && !(k && strcmp(names[i], k) == 0)) i++;
    if (names[i]) i++; /* after key; an unknown key ends the walk */
  }
  for (; names[i]; i++) {
    lua_pushstring(L, names[i]);
    lua_pushvalue(L, -1);
    if (lua_gettable(L, 1) != LUA_TNIL) return 2;
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  return 1;
}

static int pairs_start(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

void fws_lpairs_push(lua_State *L, const char *const *names) {
  lua_pushlightuserdata(L, (void *)names);
  lua_pushcclosure(L, pairs_next, 1);
  lua_pushcclosure(L, pairs_start, 1);
}
