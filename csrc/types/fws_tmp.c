#include "types/fws_tmp.h"

#include <string.h>

#include <lauxlib.h>

void *fws_tmp_alloc(fws_tmp *t, size_t size) {
  lua_State *L = t->L;
  luaL_checkstack(L, 2, "fernws");
  if (lua_type(L, t->slot) != LUA_TTABLE) {
    lua_newtable(L);
    lua_replace(L, t->slot);
  }
  void *p = lua_newuserdatauv(L, size ? size : 1, 0);
  memset(p, 0, size);
  lua_rawsetp(L, t->slot, p); /* raising here leaves the block unreferenced: Lua collects it */
  return p;
}

void fws_tmp_free(fws_tmp *t, void *p) {
  if (!p) return;
  lua_pushnil(t->L);
  lua_rawsetp(t->L, t->slot, p); /* the key is there: no allocation */
}
