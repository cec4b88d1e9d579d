/*
** fws_lua_host: a Lua 5.4 host for the glue specs (spec/glue_alloc_spec.lua). It runs a Lua
** script in a state whose allocator can be told to refuse memory, so that memory errors happen
** inside fernws's callbacks, its codec and the loop, where a plain lua5.4 cannot put them:
**
**   fws_lua_host SCRIPT [ARGS...]
**
** The script sees a global `host`: host.limit(n) refuses any allocation that would take the
** state's memory in use above n bytes (host.limit() lifts it); host.used() is the memory in use;
** host.refused() counts the allocations refused so far. The state is closed at the end, so the
** sanitizer build sees whether everything was freed. Exit status: 0, or 1 when the script failed.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static size_t g_used, g_limit = SIZE_MAX;
static long g_refused;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    g_used -= old;
    return NULL;
  }
  if (nsize > old && g_used - old + nsize > g_limit) {
    g_refused++;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p) g_used = g_used - old + nsize;
  return p;
}

static int h_limit(lua_State *L) {
  g_limit = lua_isnoneornil(L, 1) ? SIZE_MAX : (size_t)luaL_checkinteger(L, 1);
  return 0;
}

static int h_used(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)g_used);
  return 1;
}

static int h_refused(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)g_refused);
  return 1;
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
    return 2;
  }
  lua_State *L = lua_newstate(limited_alloc, NULL);
  if (!L) return 1;
  luaL_openlibs(L);
  static const luaL_Reg fns[] = {{"limit", h_limit}, {"used", h_used}, {"refused", h_refused}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setglobal(L, "host");
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  int rc = 0;
  lua_pushcfunction(L, traceback);
  if (luaL_loadfile(L, argv[1]) != LUA_OK || lua_pcall(L, 0, 0, 1) != LUA_OK) {
    g_limit = SIZE_MAX;
    fprintf(stderr, "fws_lua_host: %s\n", lua_tostring(L, -1));
    rc = 1;
  }
  g_limit = SIZE_MAX;
  lua_close(L);
  if (g_used != 0) {
    fprintf(stderr, "fws_lua_host: %zu bytes of Lua memory still in use after lua_close\n", g_used);
    rc = 1;
  }
  return rc;
}
