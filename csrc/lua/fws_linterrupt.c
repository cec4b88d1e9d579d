/* Ctrl-C in fernws.run: the run returns false, "interrupted", and every task waiting at that
** moment (connect, receive, sleep) gets the error "interrupted" raised where it waits, so that it
** can close what it holds (a task that does not catch it ends quietly). The waits yield without a
** continuation, so the task is resumed with a count hook set: the hook raises the error at the
** task's next instruction, the one right after its wait. */
#include <string.h>

#include "lua/fws_linterrupt.h"

static void raise_interrupt(lua_State *co, lua_Debug *ar) {
  (void)ar;
  lua_sethook(co, NULL, 0, 0);
  lua_pushliteral(co, FWS_INTERRUPTED);
  lua_error(co);
}

int fws_linterrupt_is(lua_State *L, int idx) {
  size_t n;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
  return s && n == sizeof FWS_INTERRUPTED - 1 && memcmp(s, FWS_INTERRUPTED, n) == 0;
}

void fws_linterrupt_tasks(fws_lstate *s) {
  lua_State *L = s->L;
  luaL_checkstack(L, 8, "fernws");
  fws_lstate_push_tasks(L);
  int tasks = lua_gettop(L);
  /* the waiting threads first (resuming changes the table); a sleeper's timer goes with it */
  lua_newtable(L);
  int waiting = tasks + 1;
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, tasks)) {
    lua_State *co = lua_tothread(L, -1);
    if (co && lua_status(co) == LUA_YIELD && lua_touserdata(L, -2) != (void *)co) {
      /* a key that is not the thread itself is the timer of fernws.sleep */
      fws_timer_cancel(lua_touserdata(L, -2));
      lua_pushvalue(L, -2);
      lua_pushnil(L);
      lua_rawset(L, tasks);
    }
    if (co && lua_status(co) == LUA_YIELD) {
      lua_pushvalue(L, -1);
      lua_pushboolean(L, 1);
      lua_rawset(L, waiting);
    }
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, waiting)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, waiting, --n); /* negative keys: the list, apart from the set */
  }
  for (lua_Integer i = -1; i >= n; i--) {
    lua_rawgeti(L, waiting, i);
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    if (co && lua_status(co) == LUA_YIELD) {
      lua_sethook(co, raise_interrupt, LUA_MASKCOUNT, 1);
      fws_lstate_resume(s, L, co, 0);
    }
  }
  lua_settop(L, tasks - 1);
}
