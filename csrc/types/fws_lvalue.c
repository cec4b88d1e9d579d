#include "types/fws_lvalue.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

static uint64_t hash_value(lua_State *L, int idx, int depth) {
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER: {
    if (lua_isinteger(L, idx)) return mix((uint64_t)lua_tointeger(L, idx));
    double d = lua_tonumber(L, idx);
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) return mix((uint64_t)(int64_t)d);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix(bits ^ 0x9e3779b97f4a7c15ull);
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return mix(h);
  }
  case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? 0x1234567ull : 0x7654321ull;
  case LUA_TTABLE: {
    if (depth > 100) return 0xabcdefull;
    luaL_checkstack(L, 4, "fernws: set element too deep");
    uint64_t h = 0x5bd1e995ull;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      int top = lua_gettop(L);
      /* order-independent: a sum over the entries */
      h += mix(hash_value(L, top - 1, depth + 1) * 31 + hash_value(L, top, depth + 1));
      lua_pop(L, 1);
    }
    return h;
  }
  default: return (uint64_t)(uintptr_t)lua_topointer(L, idx);
  }
}

static int equal_value(lua_State *L, int a, int b, int depth) {
  int ta = lua_type(L, a), tb = lua_type(L, b);
  if (ta != tb) return 0;
  if (ta != LUA_TTABLE) return lua_rawequal(L, a, b);
  if (depth > 100) return 0;
  luaL_checkstack(L, 4, "fernws: set element too deep");
  size_t na = 0, nb = 0;
  lua_pushnil(L);
  while (lua_next(L, a)) {
    int top = lua_gettop(L);
    na++;
    lua_pushvalue(L, top - 1);
    lua_rawget(L, b);
    int same = equal_value(L, top, top + 1, depth + 1);
    lua_pop(L, 2);
    if (!same) {
      lua_pop(L, 1);
      return 0;
    }
  }
  lua_pushnil(L);
  while (lua_next(L, b)) {
    nb++;
    lua_pop(L, 1);
  }
  if (na != nb) return 0;
  /* [] and {} are both empty tables: fernws.array_mt on one of them tells them apart */
  if (na == 0) {
    int ma = lua_getmetatable(L, a), mb = lua_getmetatable(L, b);
    int same = ma == mb && (!ma || lua_rawequal(L, -1, -2));
    lua_pop(L, ma + mb);
    return same;
  }
  return 1;
}

typedef struct entry {
  uint64_t h;
  lua_Integer i;
} entry;

static int by_hash(const void *x, const void *y) {
  const entry *a = x, *b = y;
  if (a->h != b->h) return a->h < b->h ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

lua_Integer fws_set_duplicate(lua_State *L, int idx, lua_Integer n) {
  if (n < 2) return 0;
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 4, "fernws");
  entry *e = lua_newuserdatauv(L, (size_t)n * sizeof *e, 0); /* popped at the end */
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    e[i - 1].h = hash_value(L, lua_gettop(L), 0);
    e[i - 1].i = i;
    lua_pop(L, 1);
  }
  qsort(e, (size_t)n, sizeof *e, by_hash);
  lua_Integer dup = 0;
  for (lua_Integer s = 0; s < n; s++) {
    /* within a run of equal hashes, compare each with those before it */
    for (lua_Integer t = s - 1; t >= 0 && e[t].h == e[s].h; t--) {
      lua_rawgeti(L, idx, e[s].i);
      lua_rawgeti(L, idx, e[t].i);
      int same = equal_value(L, lua_gettop(L) - 1, lua_gettop(L), 0);
      lua_pop(L, 2);
      if (same) {
        lua_Integer later = e[s].i > e[t].i ? e[s].i : e[t].i;
        if (!dup || later < dup) dup = later;
        break;
      }
    }
  }
  lua_pop(L, 1);
  return dup;
}
