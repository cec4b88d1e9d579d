/* Unknown names in what a caller passed: option keys, event names, message ids. */
#include <string.h>

#include <lauxlib.h>

#include "lua/fws_lopts.h"

/* Edit distance with transpositions ("opne" is one step from "open"), capped: names longer than
** 64 bytes are never "near". */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return (size_t)-1;
  unsigned char d[65][65]; /* distances stay below 129 */
  for (size_t i = 0; i <= la; i++) d[i][0] = (unsigned char)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (unsigned char)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = (unsigned char)best;
    }
  return d[la][lb];
}

const char *fws_lnames_near(const char *name, const char *const *names, size_t n) {
  const char *best = NULL;
  size_t bestd = (size_t)-1, len = strlen(name);
  for (size_t i = 0; i < n; i++) {
    size_t d = distance(name, names[i]);
    if (d < bestd) bestd = d, best = names[i];
  }
  if (!best || bestd == 0 || bestd > 2 || bestd * 2 > len) return NULL;
  return best;
}

int fws_lunknown(lua_State *L, const char *fn, const char *noun, const char *plural, const char *name,
                 const char *const *names, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, names[i]);
  }
  if (!n) luaL_addstring(&b, "none");
  const char *near = fws_lnames_near(name, names, n);
  if (near) {
    luaL_addstring(&b, "; did you mean '");
    luaL_addstring(&b, near);
    luaL_addstring(&b, "'?");
  }
  luaL_pushresult(&b);
  return luaL_error(L, "%s: unknown %s '%s' (%s: %s)", fn, noun, name, plural, lua_tostring(L, -1));
}

void fws_lopts_check(lua_State *L, int idx, const char *fn, const char *const *keys) {
  idx = lua_absindex(L, idx);
  size_t n = 0;
  while (keys[n]) n++;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: option names are strings, got a %s key", fn, luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    size_t i = 0;
    while (i < n && strcmp(keys[i], k) != 0) i++;
    if (i == n) fws_lunknown(L, fn, "option", "options", k, keys, n);
  }
}

/* A nested options table (tls = {...}) when it is a table; other shapes are checked where read. */
static void check_nested(lua_State *L, int idx, const char *key, const char *fn, const char *const *keys) {
  if (lua_getfield(L, idx, key) == LUA_TTABLE) fws_lopts_check(L, -1, fn, keys);
  lua_pop(L, 1);
}

void fws_lopts_connect(lua_State *L, int idx) {
  /* what channel:connect reads (fws_lconn.c, fws_lhandshake.c); auth's keys depend on the scheme */
  static const char *const keys[] = {"auth", "connect_timeout", "environment", "extra_query", "follow_redirects",
                                     "headers", "max_message_size", "message_timeout", "path", "ping_interval",
                                     "ping_timeout", "query", "queue", "queue_bytes", "reconnect", "strict",
                                     "subprotocol", "tls", "url", NULL};
  static const char *const redirects[] = {"cross_origin", "max", NULL};
  static const char *const tls[] = {"ca_file", "verify", NULL};
  static const char *const reconnect[] = {"attempts", "factor", "jitter", "max_delay", "min_delay", NULL};
  idx = lua_absindex(L, idx);
  fws_lopts_check(L, idx, "connect", keys);
  check_nested(L, idx, "tls", "connect: tls", tls);
  check_nested(L, idx, "reconnect", "connect: reconnect", reconnect);
  check_nested(L, idx, "follow_redirects", "connect: follow_redirects", redirects);
}

void fws_lopts_serve(lua_State *L, int idx) {
  /* what channel:serve reads (fws_lserver.c) */
  static const char *const keys[] = {"assembly_total", "base", "handshake_timeout", "host", "max_message_size", "max_peers",
                                     "message_timeout", "ping_interval", "ping_timeout", "port", "queue",
                                     "queue_bytes", "queue_total", "strict", "subprotocol", "tls", NULL};
  static const char *const tls[] = {"cert", "key", NULL};
  idx = lua_absindex(L, idx);
  fws_lopts_check(L, idx, "serve", keys);
  check_nested(L, idx, "tls", "serve: tls", tls);
}
