/* Temporary memory of one encode or decode (a big object's "seen" marks, a big union's member
** list, the memo table). Lua may raise a memory error anywhere in the codec; malloc'd memory
** would then leak. So these blocks are full userdata, collected by Lua, kept alive meanwhile in
** a table in one stack slot the call reserves when it starts (nil until a block is needed). */
#ifndef FWS_TMP_H
#define FWS_TMP_H

#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>

typedef struct fws_tmp {
  lua_State *L;
  int slot;             /* absolute stack index of the slot */
} fws_tmp;

/* Reserves the slot at the top of L (one stack place; allocates nothing unless the stack must
** grow, and then before anything else exists). */
static inline void fws_tmp_open(fws_tmp *t, lua_State *L) {
  luaL_checkstack(L, 4, "fernws");
  lua_pushnil(L);
  t->L = L;
  t->slot = lua_gettop(L);
}

/* Removes the slot: what the call pushed above it moves down one place. */
static inline void fws_tmp_close(fws_tmp *t) {
  lua_remove(t->L, t->slot);
}

/* size zeroed bytes that live until fws_tmp_free or the end of the call; raises when out of memory
** (and then nothing is left behind). */
void *fws_tmp_alloc(fws_tmp *t, size_t size);
/* Lets the block go (raises nothing). */
void fws_tmp_free(fws_tmp *t, void *p);

#endif
