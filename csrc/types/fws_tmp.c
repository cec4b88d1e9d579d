#include "types/fws_tmp.h"

#include <string.h>

#include <lauxlib.h>

#include "types/fws_codec.h"

void *fws_tmp_alloc(fws_tmp *t, size_t size) {
  lua_State *L = t->L;
  luaL_checkstack(L, 3, "fernws");
  if (t->ctx->tmp_ref <= 0) {
    lua_newtable(L);
    t->ctx->tmp_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->ctx->tmp_ref);
  void *p = lua_newuserdatauv(L, size ? size : 1, 0);
  memset(p, 0, size);
  lua_rawsetp(L, -2, p); /* raising here leaves the block unreferenced: Lua collects it */
  lua_pop(L, 1);
  return p;
}

void fws_tmp_free(fws_tmp *t, void *p) {
  if (!p) return;
  lua_State *L = t->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->ctx->tmp_ref);
  lua_pushnil(L);
  lua_rawsetp(L, -2, p); /* the key is there: no allocation */
  lua_pop(L, 1);
}
