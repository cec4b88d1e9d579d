/* Lua value -> JSON text, validated against a compiled type on the way. */
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/fws_codec.h"
#include "types/fws_expect.h"
#include "types/fws_formats.h"
#include "types/fws_lvalue.h"
#include "types/fws_memo.h"
#include "types/fws_numtext.h"
#include "types/fws_rules.h"
#include "types/fws_utf8.h"

typedef struct enc {
  lua_State *L;
  fws_codec_ctx *ctx;
  fws_buf *out;
  fws_verrs *errs;
  int all;              /* keep going after an error */
  int depth;
  fws_path path;
  const void *tables[FWS_MAX_DEPTH + 1];  /* tables being written, to catch cycles */
  int root;             /* stack index of tables[0], whose address is taken when first needed */
  fws_memo memo;        /* union members that failed, by table */
  fws_tmp tmp;          /* temporary memory that a memory error cannot leak */
  int limits;           /* failures from the depth limit or a cycle: they depend on the way in */
} enc;

const char *fws_lua_got(lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER: return lua_isinteger(L, idx) ? "integer" : "float";
  case LUA_TLIGHTUSERDATA: return lua_touserdata(L, idx) == NULL ? "null" : "userdata";
  default: return lua_typename(L, lua_type(L, idx));
  }
}

static int fail(enc *e, const char *expected, const char *got, const char *fmt, const char *arg) {
  fws_verrs_add(e->errs, &e->path, expected, got, fmt, arg);
  return -1;
}

static int mismatch(enc *e, int idx, const fws_ct *t) {
  const char *got = fws_lua_got(e->L, idx);
  fws_verrs_add(e->errs, &e->path, t->label, got, "expected %s, got %s", t->label, got);
  return -1;
}

/* ---- strings ---- */

/* 0: copy; 1: escape as \X; 2: escape as \u00XX; 3: UTF-8 lead/continuation byte */
static const unsigned char esc_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};

/* Whether any of the 8 bytes in v has an esc_class other than 0 (below 0x20, '"', '\\', 0x7F, 0x80
** and up): the classic has-zero-byte and has-less-than tests, exact as a yes or no. */
static inline uint64_t special8(uint64_t v) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), d = v ^ (ones * 0x7F);
  return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d) | v) & highs;
}

/* Writes s as a JSON string; -1 (nothing usable written) when it is not valid UTF-8. */
static int put_string(fws_buf *b, const char *s, size_t n) {
  if (fws_buf_reserve(b, n + 2)) return 0;
  char *o = b->data + b->len;
  *o++ = '"';
  const char *copy0 = o; /* while o - copy0 == i, the output is the input verbatim */
  size_t i = 0;
  while (i < n) {
    /* eight plain bytes at a time (the room for n bytes is reserved), then byte by byte up to
    ** the next one to look at */
    for (uint64_t v; i + 8 <= n; i += 8, o += 8) {
      memcpy(&v, s + i, 8);
      memcpy(o, &v, 8);
      uint64_t m = special8(v);
      if (m) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the lowest flag is exact: the plain bytes before it are already copied */
        size_t k = (size_t)__builtin_ctzll(m) >> 3;
        i += k;
        o += k;
#endif
        break;
      }
    }
    if (i < n && n - i < 8 && n >= 8 && (size_t)(o - copy0) == i) {
      /* the tail as the last eight bytes, the ones before it rewritten with themselves */
      uint64_t v;
      memcpy(&v, s + n - 8, 8);
      if (!special8(v)) {
        memcpy(o - (8 - (n - i)), &v, 8);
        o += n - i;
        break;
      }
    }
    while (i < n && esc_class[(unsigned char)s[i]] == 0) *o++ = s[i++];
    if (i == n) break;
    unsigned char c = (unsigned char)s[i];
    unsigned cls = esc_class[c];
    if (cls == 3) {
      /* one multi-byte sequence: check it, copy it */
      size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (n - i < need || fws_utf8_valid_prefix(s + i, need) != need) return -1;
      memcpy(o, s + i, need);
      o += need;
      i += need;
      continue;
    }
    /* escapes may need up to 6 bytes where the input had 1 */
    size_t used = (size_t)(o - b->data);
    b->len = used;
    if (fws_buf_reserve(b, (n - i) * 6 + 2)) return 0;
    o = b->data + b->len;
    if (cls == 1) {
      *o++ = '\\';
      *o++ = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
    } else {
      static const char hex[] = "0123456789abcdef";
      memcpy(o, "\\u00", 4);
      o[4] = hex[c >> 4];
      o[5] = hex[c & 15];
      o += 6;
    }
    i++;
  }
  *o++ = '"';
  b->len = (size_t)(o - b->data);
  return 0;
}

static int enc_string(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (lua_type(L, idx) != LUA_TSTRING) return mismatch(e, idx, t);
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  size_t mark = e->out->len;
  if (put_string(e->out, s, n) < 0) {
    e->out->len = mark;
    return fail(e, t->label, "string", "is not valid UTF-8%s", "");
  }
  int ok = t->op == FWS_OP_STRING || fws_is_primitive(t->op, s, n);
  if (!ok) return fail(e, t->label, "string", "is not %s", fws_expect_string(t));
  if (t->rules && !fws_rules_string(t->rules, e->ctx->match_data, s, n, e->errs, &e->path)) return -1;
  return 0;
}

/* ---- numbers ---- */

static void put_int(fws_buf *b, int64_t v) {
  if (fws_buf_reserve(b, 24)) return;
  b->len += fws_fmt_int(v, b->data + b->len);
}

static int enc_integer(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (lua_type(L, idx) != LUA_TNUMBER) return mismatch(e, idx, t);
  int64_t v;
  uint64_t big = 0;
  int isbig = 0;
  if (lua_isinteger(L, idx)) {
    v = (int64_t)lua_tointeger(L, idx);
  } else {
    double d = lua_tonumber(L, idx);
    if (d != floor(d) || !isfinite(d)) {
      char got[40];
      /* printf spells NaN "nan" or "-nan" by its sign bit: say it one way */
      if (isnan(d)) snprintf(got, sizeof got, "NaN");
      else if (isinf(d)) snprintf(got, sizeof got, "%s", d < 0 ? "-inf" : "inf");
      else snprintf(got, sizeof got, "%.17g", d);
      return fail(e, t->label, "float", "expected an integer, got the float %s", got);
    }
    if (t->op == FWS_OP_UINT64 && d >= 9223372036854775808.0 && d < 18446744073709551616.0) {
      big = (uint64_t)d;
      isbig = 1;
      v = 0;
    } else if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      v = (int64_t)d;
    } else {
      return fail(e, t->label, "float", "is out of range for %s", t->label);
    }
  }
  int in_range = 1;
  switch (t->op) {
  case FWS_OP_INT32: in_range = v >= INT32_MIN && v <= INT32_MAX; break;
  case FWS_OP_UINT32: in_range = v >= 0 && v <= (int64_t)UINT32_MAX; break;
  case FWS_OP_UINT64: in_range = isbig || v >= 0; break;
  default: break;
  }
  if (!in_range) {
    char got[32];
    snprintf(got, sizeof got, "%lld", (long long)v);
    fws_verrs_add(e->errs, &e->path, t->label, "integer", "%s is out of range for %s", got, t->label);
    return -1;
  }
  if (isbig) {
    if (!fws_buf_reserve(e->out, 24)) e->out->len += fws_fmt_uint(big, e->out->data + e->out->len);
    return 0;
  }
  if (t->rules && !fws_rules_number(t->rules, (double)v, 1, v, e->errs, &e->path)) return -1;
  put_int(e->out, v);
  return 0;
}

static int enc_double(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (lua_type(L, idx) != LUA_TNUMBER) return mismatch(e, idx, t);
  if (lua_isinteger(L, idx)) {
    int64_t v = (int64_t)lua_tointeger(L, idx);
    if (t->rules && !fws_rules_number(t->rules, (double)v, 1, v, e->errs, &e->path)) return -1;
    put_int(e->out, v);
    return 0;
  }
  double d = lua_tonumber(L, idx);
  if (!isfinite(d)) return fail(e, t->label, "float", "is %s, which JSON cannot carry", isnan(d) ? "NaN" : "infinite");
  if (t->rules && !fws_rules_number(t->rules, d, 0, 0, e->errs, &e->path)) return -1;
  if (fws_buf_reserve(e->out, 48)) return 0;
  e->out->len += fws_fmt_double(d, 0, e->out->data + e->out->len);
  return 0;
}

/* ---- containers ---- */

static int enc_value(enc *e, int idx, const fws_ct *t);

static int enter(enc *e, int idx) {
  if (e->depth >= FWS_MAX_DEPTH) {
    e->limits++;
    return fail(e, "value", "table", "nests deeper than %s levels (or holds itself)", "200");
  }
  if (e->depth == 0) {
    /* the root's address is taken once a table inside it is compared: a flat value never is */
    e->tables[0] = NULL;
    e->root = idx;
  } else {
    const void *p = lua_topointer(e->L, idx);
    if (!e->tables[0]) e->tables[0] = lua_topointer(e->L, e->root);
    for (int i = 0; i < e->depth; i++)
      if (e->tables[i] == p) {
        e->limits++;
        return fail(e, "value", "table", "contains itself (a cycle)%s", "");
      }
    e->tables[e->depth] = p;
  }
  /* a level uses a few slots: room for the next 8 levels at once (the first fits in the
  ** LUA_MINSTACK slots every C function starts with) */
  if ((e->depth & 7) == 1) luaL_checkstack(e->L, 64, "fernws: value too deep");
  e->depth++;
  return 0;
}

/* Number of entries when the table is a sequence 1..n with nothing else, else -1. */
static lua_Integer sequence_length(lua_State *L, int idx) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return -1;
    }
    lua_Integer k = lua_tointeger(L, -1);
    if (k < 1 || k > n) {
      lua_pop(L, 1);
      return -1;
    }
    count++;
  }
  return count == n ? n : -1;
}

static int enc_list(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (!lua_istable(L, idx)) return mismatch(e, idx, t);
  lua_Integer n = sequence_length(L, idx);
  if (n < 0) return fail(e, t->label, "table", "expected %s: a sequence 1..n, got a table with other keys", t->label);
  if (enter(e, idx)) return -1;
  int rc = 0;
  fws_buf_putc(e->out, '[');
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) fws_buf_putc(e->out, ',');
    lua_rawgeti(L, idx, i);
    fws_path_index(&e->path, i);
    int r = enc_value(e, lua_gettop(L), t->u.elem);
    e->path.n--;
    lua_pop(L, 1);
    if (r) {
      rc = -1;
      if (!e->all) break;
    }
  }
  fws_buf_putc(e->out, ']');
  if (!rc && t->op == FWS_OP_SET) {
    lua_Integer dup = fws_set_duplicate(L, idx, n);
    if (dup) {
      fws_path_index(&e->path, dup);
      fail(e, t->label, "table", "is a duplicate: a set holds each value once%s", "");
      e->path.n--;
      rc = -1;
    }
  }
  if (t->rules && !fws_rules_count(t->rules, (size_t)n, e->errs, &e->path)) rc = -1;
  e->depth--;
  return rc;
}

/* A map key as JSON text, checked against the key type. */
static int enc_map_key(enc *e, int kidx, const fws_ct *kt) {
  lua_State *L = e->L;
  const fws_ct *base = kt;
  while (base->op == FWS_OP_OPTIONAL || base->op == FWS_OP_NULLABLE) base = base->u.elem;
  switch (base->op) {
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64: case FWS_OP_DOUBLE: {
    /* numbers become their decimal text as a key */
    size_t mark = e->out->len;
    fws_buf_putc(e->out, '"');
    int r = base->op == FWS_OP_DOUBLE ? enc_double(e, kidx, base) : enc_integer(e, kidx, base);
    fws_buf_putc(e->out, '"');
    if (r) e->out->len = mark;
    return r;
  }
  case FWS_OP_BOOL:
    if (lua_type(L, kidx) != LUA_TBOOLEAN) return mismatch(e, kidx, base);
    fws_buf_put(e->out, lua_toboolean(L, kidx) ? "\"true\"" : "\"false\"", lua_toboolean(L, kidx) ? 6 : 7);
    return 0;
  case FWS_OP_UNKNOWN:
    if (lua_type(L, kidx) == LUA_TSTRING) return enc_value(e, kidx, base);
    return mismatch(e, kidx, base);
  default:
    return enc_value(e, kidx, base);
  }
}

static int enc_map(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (!lua_istable(L, idx)) return mismatch(e, idx, t);
  if (enter(e, idx)) return -1;
  int rc = 0, first = 1;
  size_t count = 0;
  fws_buf_putc(e->out, '{');
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int kidx = lua_gettop(L) - 1, vidx = kidx + 1;
    if (lua_type(L, kidx) == LUA_TSTRING) {
      size_t kl;
      const char *k = lua_tolstring(L, kidx, &kl);
      fws_path_key(&e->path, k, kl);
    } else if (lua_isinteger(L, kidx)) {
      fws_path_index(&e->path, lua_tointeger(L, kidx));
    } else {
      fws_path_none(&e->path);
    }
    if (!first) fws_buf_putc(e->out, ',');
    size_t mark = e->out->len;
    int r = enc_map_key(e, kidx, t->u.map.key);
    if (!r) {
      fws_buf_putc(e->out, ':');
      r = enc_value(e, vidx, t->u.map.value);
    }
    if (r) e->out->len = mark - (first ? 0 : 1);
    else first = 0;
    e->path.n--;
    lua_pop(L, 1);
    count++;
    if (r) {
      rc = -1;
      if (!e->all) {
        lua_pop(L, 1);
        break;
      }
    }
  }
  fws_buf_putc(e->out, '}');
  if (t->rules && !fws_rules_count(t->rules, count, e->errs, &e->path)) rc = -1;
  e->depth--;
  return rc;
}

static void put_literal(fws_buf *b, const fws_ct *t) {
  if (t->op == FWS_OP_LITERAL_BOOL) {
    fws_buf_put(b, t->u.lit.b ? "true" : "false", t->u.lit.b ? 4 : 5);
  } else {
    put_string(b, t->u.lit.s, t->u.lit.len);
  }
}

static int enc_unknown(enc *e, int idx);

/* The property named by the string key at kidx (k, kl), or -1; learns its address. */
static int32_t find_prop(enc *e, const fws_ct *t, int kidx, const char *k, size_t kl) {
  fws_cprop *props = (fws_cprop *)t->u.obj.props;
  int32_t pi = fws_prop_find(t, k, kl);
  if (pi >= 0 && !props[pi].lref && e->ctx->anchor_ref > 0) {
    /* the string stays alive in the anchor table, so no other object can take its address */
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ctx->anchor_ref);
    fws_codec_learn_key(L, -1, kidx, &props[pi]);
    lua_pop(L, 1);
  }
  return pi;
}

/* The property whose learnt key is the Lua value at address key (lua_topointer), or -1; small
** objects only (a larger one hashes the name in find_prop). */
static int32_t known_prop(const fws_ct *t, const void *key) {
  const fws_cprop *props = t->u.obj.props;
  uint32_t n = t->u.obj.n <= 16 ? t->u.obj.n : 0;
  for (uint32_t i = 0; i < n; i++)
    if (props[i].lkey == key) return (int32_t)i;
  return -1;
}

static int enc_object(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (!lua_istable(L, idx)) return mismatch(e, idx, t);
  if (enter(e, idx)) return -1;
  uint32_t n = t->u.obj.n;
  /* which properties were given: bits for up to 64, else a byte each */
  uint64_t seen_bits = 0;
  unsigned char *seen = n > 64 ? fws_tmp_alloc(&e->tmp, n) : NULL;
  int rc = 0, first = 1;
  fws_buf_putc(e->out, '{');
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int kidx = lua_gettop(L) - 1, vidx = kidx + 1;
    int32_t pi = known_prop(t, lua_topointer(L, kidx));
    if (pi >= 0) {
      fws_path_key(&e->path, t->u.obj.props[pi].name, t->u.obj.props[pi].len);
      goto known;
    }
    if (lua_type(L, kidx) != LUA_TSTRING) {
      if (lua_isinteger(L, kidx)) fws_path_index(&e->path, lua_tointeger(L, kidx));
      else fws_path_none(&e->path);
      fail(e, t->label, fws_lua_got(L, kidx), "a key of an object must be a string, got %s", fws_lua_got(L, kidx));
      e->path.n--;
      lua_pop(L, 1);
      rc = -1;
      if (!e->all) {
        lua_pop(L, 1);
        break;
      }
      continue;
    }
    size_t kl;
    const char *k = lua_tolstring(L, kidx, &kl);
    pi = find_prop(e, t, kidx, k, kl);
    fws_path_key(&e->path, k, kl);
  known:;
    int r = 0;
    if (pi < 0) {
      if (t->u.obj.extra) {
        if (!first) fws_buf_putc(e->out, ',');
        size_t mark = e->out->len;
        if (put_string(e->out, k, kl) < 0) {
          r = fail(e, t->label, "string", "a key is not valid UTF-8%s", "");
        } else {
          fws_buf_putc(e->out, ':');
          r = enc_unknown(e, vidx);
        }
        if (r) e->out->len = mark - (first ? 0 : 1);
        else first = 0;
      } else {
        r = fail(e, t->label, fws_lua_got(L, vidx), "unknown property (not in %s)", t->label);
      }
    } else {
      const fws_cprop *p = &t->u.obj.props[pi];
      if (seen) seen[pi] = 1;
      else seen_bits |= (uint64_t)1 << pi;
      if (!first) fws_buf_putc(e->out, ',');
      size_t mark = e->out->len;
      if (p->jkeylen <= FWS_JKEY_COPY && !fws_buf_reserve(e->out, FWS_JKEY_COPY)) {
        /* a fixed-size copy is two moves, not a call */
        memcpy(e->out->data + mark, p->jkey, FWS_JKEY_COPY);
        e->out->len += p->jkeylen;
      } else {
        fws_buf_put(e->out, p->jkey, p->jkeylen);
      }
      /* plain strings are most properties: straight to them */
      r = p->type->op == FWS_OP_STRING ? enc_string(e, vidx, p->type) : enc_value(e, vidx, p->type);
      if (r) e->out->len = mark - (first ? 0 : 1);
      else first = 0;
    }
    e->path.n--;
    lua_pop(L, 1);
    if (r) {
      rc = -1;
      if (!e->all) {
        lua_pop(L, 1);
        break;
      }
    }
  }
  /* what was not given: literals are written, required properties are errors */
  int all_seen = !seen && (n == 64 ? seen_bits == UINT64_MAX : seen_bits == ((uint64_t)1 << n) - 1);
  if ((!rc || e->all) && !all_seen) {
    for (uint32_t i = 0; i < n; i++) {
      if (seen ? seen[i] : (seen_bits >> i) & 1) continue;
      const fws_cprop *p = &t->u.obj.props[i];
      if (p->literal) {
        if (!first) fws_buf_putc(e->out, ',');
        fws_buf_put(e->out, p->jkey, p->jkeylen);
        put_literal(e->out, p->type);
        first = 0;
      } else if (p->required) {
        fws_path_key(&e->path, p->name, p->len);
        fail(e, p->type->label, "nil", "required property is missing (expected %s)", p->type->label);
        e->path.n--;
        rc = -1;
        if (!e->all) break;
      }
    }
  }
  fws_buf_putc(e->out, '}');
  fws_tmp_free(&e->tmp, seen);
  e->depth--;
  return rc;
}

static int enc_enum(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (lua_type(L, idx) != LUA_TSTRING) return mismatch(e, idx, t);
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (fws_strhash_find(&t->u.en.hash, t->u.en.values, t->u.en.lens, s, n) < 0) {
    fws_textlist list;
    fws_expect_values(t, &list);
    char ex[200];
    fws_verrs_add(e->errs, &e->path, t->label, "string", "'%s' is not one of %s", fws_excerpt(ex, sizeof ex, s, n, 40),
                  list.text);
    return -1;
  }
  put_string(e->out, s, n);
  return 0;
}

static int enc_literal(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (t->op == FWS_OP_LITERAL_BOOL) {
    if (lua_type(L, idx) != LUA_TBOOLEAN || lua_toboolean(L, idx) != t->u.lit.b) return mismatch(e, idx, t);
  } else {
    if (lua_type(L, idx) != LUA_TSTRING) return mismatch(e, idx, t);
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (n != t->u.lit.len || memcmp(s, t->u.lit.s, n) != 0) {
      char ex[200];
      fws_verrs_add(e->errs, &e->path, t->label, "string", "expected %s, got '%s'", t->label,
                    fws_excerpt(ex, sizeof ex, s, n, 40));
      return -1;
    }
  }
  put_literal(e->out, t);
  return 0;
}

static int enc_union(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  if (!lua_istable(L, idx)) return mismatch(e, idx, t);
  lua_pushlstring(L, t->u.un.disc, t->u.un.disclen);
  lua_rawget(L, idx);
  int32_t vi = -1;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    vi = fws_strhash_find(&t->u.un.hash, t->u.un.values, t->u.un.vlens, s, n);
  }
  if (vi < 0) {
    fws_textlist list;
    fws_textlist_init(&list);
    for (uint32_t i = 0; i < t->u.un.n; i++) fws_textlist_add(&list, t->u.un.values[i], 1);
    fws_path_key(&e->path, t->u.un.disc, t->u.un.disclen);
    if (lua_isnil(L, -1))
      fws_verrs_add(e->errs, &e->path, t->label, "nil", "the discriminant is missing (one of %s)", list.text);
    else if (lua_type(L, -1) == LUA_TSTRING) {
      size_t vl;
      const char *v = lua_tolstring(L, -1, &vl);
      char ex[200];
      fws_verrs_add(e->errs, &e->path, t->label, "string", "'%s' is not a variant of %s (one of %s)",
                    fws_excerpt(ex, sizeof ex, v, vl, 40), t->label, list.text);
    }
    else
      fws_verrs_add(e->errs, &e->path, t->label, fws_lua_got(L, -1), "the discriminant must be a string (one of %s)", list.text);
    e->path.n--;
    lua_pop(L, 1);
    return -1;
  }
  lua_pop(L, 1);
  return enc_object(e, idx, t->u.un.variants[vi]);
}

/* The choices worth trying for a table value, in order. */
static const uint32_t *candidates(lua_State *L, int idx, const fws_dispatch *d, uint32_t *n, uint32_t *all,
                                  int *unknown_value) {
  *unknown_value = 0;
  if (d->key && lua_istable(L, idx)) {
    lua_pushlstring(L, d->key, d->keylen);
    lua_rawget(L, idx);
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t vl;
      const char *v = lua_tolstring(L, -1, &vl);
      int32_t k = fws_strhash_find(&d->vhash, d->values, d->vlens, v, vl);
      lua_pop(L, 1);
      if (k >= 0) {
        *n = d->ncands[k];
        return d->cands[k];
      }
      *unknown_value = 1;
      *n = d->nfallback;
      return d->fallback;
    }
    lua_pop(L, 1);
    /* no key: a literal may be left out on encode, so every member is worth a try */
  }
  for (uint32_t i = 0; i < d->n; i++) all[i] = i;
  *n = d->n;
  return all;
}

/* One member tried on the value at idx, skipped where it failed before on the same table. */
static int enc_member(enc *e, int idx, const fws_choice *ch) {
  if (!lua_istable(e->L, idx)) return enc_value(e, idx, ch->type);
  uintptr_t place = (uintptr_t)lua_topointer(e->L, idx);
  if (fws_memo_has(&e->memo, place, ch->type, 0))
    return fail(e, ch->type->label, "table", "does not match %s", ch->name);
  int limits = e->limits;
  int rc = enc_value(e, idx, ch->type);
  /* a failure from the depth limit or a cycle may not happen when the table is reached another way */
  if (rc && e->limits == limits) fws_memo_add(&e->memo, place, ch->type, 0);
  return rc;
}

static int enc_choice(enc *e, int idx, const fws_ct *t, const fws_dispatch *d) {
  uint32_t stack_all[64];
  uint32_t *all = d->n <= 64 ? stack_all : fws_tmp_alloc(&e->tmp, d->n * sizeof *all);
  uint32_t n;
  int unknown_value;
  const uint32_t *c = candidates(e->L, idx, d, &n, all, &unknown_value);
  size_t mark = e->out->len, emark = e->errs->n;
  int saved_all = e->all;
  int rc = -1;
  if (n == 1) {
    /* one candidate: its own errors are the useful ones */
    rc = enc_member(e, idx, &d->choices[c[0]]);
  } else {
    e->all = 0;
    e->errs->muted++; /* a member that does not fit is no error yet: no text is made for it */
    for (uint32_t i = 0; i < n && rc; i++) {
      int depth = e->depth, pathn = e->path.n;
      rc = enc_member(e, idx, &d->choices[c[i]]);
      if (rc) {
        e->out->len = mark;
        fws_verrs_truncate(e->errs, emark);
        e->depth = depth;
        e->path.n = pathn;
      }
    }
    e->errs->muted--;
    e->all = saved_all;
    int primary = -1, owners = 0;
    if (rc && d->key && !unknown_value && c != all) {
      /* the member that owns the literal value is the one meant: its errors say what is wrong */
      for (uint32_t i = 0; i < n; i++) {
        int fallback = 0;
        for (uint32_t j = 0; j < d->nfallback && !fallback; j++) fallback = d->fallback[j] == c[i];
        if (!fallback) primary = (int)c[i], owners++;
      }
    }
    if (rc && owners == 1) {
      enc_value(e, idx, d->choices[primary].type);
      e->out->len = mark;
    } else if (rc) {
      if (unknown_value) {
        lua_pushlstring(e->L, d->key, d->keylen);
        lua_rawget(e->L, idx);
        fws_path_key(&e->path, d->key, d->keylen);
        fws_textlist list;
        fws_textlist_init(&list);
        for (uint32_t i = 0; i < d->nvalues; i++) fws_textlist_add(&list, d->values[i], 1);
        size_t vl;
        const char *v = lua_tolstring(e->L, -1, &vl);
        char ex[200];
        fws_verrs_add(e->errs, &e->path, t->label, "string", "'%s' is not one of %s", fws_excerpt(ex, sizeof ex, v, vl, 40),
                      list.text);
        e->path.n--;
        lua_pop(e->L, 1);
      } else {
        fws_textlist list;
        fws_textlist_init(&list);
        for (uint32_t i = 0; i < n; i++) fws_textlist_add(&list, d->choices[c[i]].name, 0);
        fws_verrs_add(e->errs, &e->path, t->label, fws_lua_got(e->L, idx), "matches none of %s (tried %s)",
                      t->label, n ? list.text : "nothing");
      }
    }
  }
  if (all != stack_all) fws_tmp_free(&e->tmp, all);
  return rc;
}

/* ---- unknown: any JSON value ---- */

static int is_array_mt(enc *e, int idx) {
  if (!lua_getmetatable(e->L, idx)) return 0;
  lua_rawgeti(e->L, LUA_REGISTRYINDEX, e->ctx->array_mt_ref);
  int eq = lua_rawequal(e->L, -1, -2);
  lua_pop(e->L, 2);
  return eq;
}

static int enc_unknown(enc *e, int idx) {
  static const fws_ct unknown_ct = {.op = FWS_OP_UNKNOWN, .complete = 1, .label = "JSON value"};
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    fws_buf_put(e->out, "null", 4);
    return 0;
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL) {
      fws_buf_put(e->out, "null", 4);
      return 0;
    }
    return mismatch(e, idx, &unknown_ct);
  case LUA_TBOOLEAN:
    fws_buf_put(e->out, lua_toboolean(L, idx) ? "true" : "false", lua_toboolean(L, idx) ? 4 : 5);
    return 0;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) {
      put_int(e->out, (int64_t)lua_tointeger(L, idx));
    } else {
      double d = lua_tonumber(L, idx);
      if (!isfinite(d)) return fail(e, "JSON value", "float", "is %s, which JSON cannot carry", isnan(d) ? "NaN" : "infinite");
      if (!fws_buf_reserve(e->out, 48)) e->out->len += fws_fmt_double(d, 1, e->out->data + e->out->len);
    }
    return 0;
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    size_t mark = e->out->len;
    if (put_string(e->out, s, n) < 0) {
      e->out->len = mark;
      return fail(e, "JSON value", "string", "is not valid UTF-8%s", "");
    }
    return 0;
  }
  case LUA_TTABLE:
    break;
  default:
    return mismatch(e, idx, &unknown_ct);
  }
  if (enter(e, idx)) return -1;
  int rc = 0;
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  int array = (n > 0 && sequence_length(L, idx) == n) || (n == 0 && is_array_mt(e, idx));
  if (array) {
    fws_buf_putc(e->out, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) fws_buf_putc(e->out, ',');
      lua_rawgeti(L, idx, i);
      fws_path_index(&e->path, i);
      int r = enc_unknown(e, lua_gettop(L));
      e->path.n--;
      lua_pop(L, 1);
      if (r) {
        rc = -1;
        if (!e->all) break;
      }
    }
    fws_buf_putc(e->out, ']');
  } else {
    int first = 1;
    fws_buf_putc(e->out, '{');
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      int kidx = lua_gettop(L) - 1;
      int r = 0;
      if (!first) fws_buf_putc(e->out, ',');
      size_t mark = e->out->len;
      if (lua_type(L, kidx) == LUA_TSTRING) {
        size_t kl;
        const char *k = lua_tolstring(L, kidx, &kl);
        fws_path_key(&e->path, k, kl);
        if (put_string(e->out, k, kl) < 0) r = fail(e, "JSON value", "string", "a key is not valid UTF-8%s", "");
      } else if (lua_isinteger(L, kidx)) {
        fws_path_index(&e->path, lua_tointeger(L, kidx));
        char num[24];
        size_t nl = fws_fmt_int((int64_t)lua_tointeger(L, kidx), num);
        num[nl] = '\0';
        /* t[1] and t["1"] would both be written "1": JSON with the key twice */
        lua_pushlstring(L, num, nl);
        int twice = lua_rawget(L, idx) != LUA_TNIL;
        lua_pop(L, 1);
        if (twice) {
          r = fail(e, "JSON value", "integer", "the key %s is there both as an integer and as a string", num);
        } else {
          fws_buf_putc(e->out, '"');
          fws_buf_put(e->out, num, nl);
          fws_buf_putc(e->out, '"');
        }
      } else {
        fws_path_none(&e->path);
        r = fail(e, "JSON value", fws_lua_got(L, kidx), "a key must be a string or an integer, got %s",
                 fws_lua_got(L, kidx));
      }
      if (!r) {
        fws_buf_putc(e->out, ':');
        r = enc_unknown(e, kidx + 1);
      }
      if (r) e->out->len = mark - (first ? 0 : 1);
      else first = 0;
      e->path.n--;
      lua_pop(L, 1);
      if (r) {
        rc = -1;
        if (!e->all) {
          lua_pop(L, 1);
          break;
        }
      }
    }
    fws_buf_putc(e->out, '}');
  }
  e->depth--;
  return rc;
}

static int enc_value(enc *e, int idx, const fws_ct *t) {
  lua_State *L = e->L;
  switch (t->op) {
  case FWS_OP_STRING: case FWS_OP_DATETIME: case FWS_OP_DATE: case FWS_OP_UUID: case FWS_OP_BASE64:
    return enc_string(e, idx, t);
  case FWS_OP_BIGINT:
    if (lua_isinteger(L, idx)) {
      /* a Lua integer is a fine bigint; it travels as a string */
      char tmp[32];
      size_t n = fws_fmt_int((int64_t)lua_tointeger(L, idx), tmp);
      fws_buf_putc(e->out, '"');
      fws_buf_put(e->out, tmp, n);
      fws_buf_putc(e->out, '"');
      return 0;
    }
    return enc_string(e, idx, t);
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64:
    return enc_integer(e, idx, t);
  case FWS_OP_DOUBLE:
    return enc_double(e, idx, t);
  case FWS_OP_BOOL:
    if (lua_type(L, idx) != LUA_TBOOLEAN) return mismatch(e, idx, t);
    fws_buf_put(e->out, lua_toboolean(L, idx) ? "true" : "false", lua_toboolean(L, idx) ? 4 : 5);
    return 0;
  case FWS_OP_UNKNOWN:
    return enc_unknown(e, idx);
  case FWS_OP_LIST: case FWS_OP_SET:
    return enc_list(e, idx, t);
  case FWS_OP_MAP:
    return enc_map(e, idx, t);
  case FWS_OP_OPTIONAL:
    if (lua_isnil(L, idx) || (lua_type(L, idx) == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx))) {
      fws_buf_put(e->out, "null", 4);
      return 0;
    }
    return enc_value(e, idx, t->u.elem);
  case FWS_OP_NULLABLE:
    if (lua_type(L, idx) == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx)) {
      fws_buf_put(e->out, "null", 4);
      return 0;
    }
    return enc_value(e, idx, t->u.elem);
  case FWS_OP_LITERAL_STRING: case FWS_OP_LITERAL_BOOL:
    return enc_literal(e, idx, t);
  case FWS_OP_OBJECT:
    return enc_object(e, idx, t);
  case FWS_OP_ENUM:
    return enc_enum(e, idx, t);
  case FWS_OP_UNION:
    return enc_union(e, idx, t);
  case FWS_OP_UUNION:
    return enc_choice(e, idx, t, &t->u.uu);
  }
  return mismatch(e, idx, t);
}

int fws_encode(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, int flags, fws_verrs *errs) {
  enc e;
  e.L = L;
  e.ctx = ctx;
  e.out = &ctx->out;
  e.errs = errs;
  e.all = (flags & FWS_CHECK_ALL) != 0;
  e.depth = 0;
  e.path.n = 0;
  e.limits = 0;
  e.tmp.L = L;
  e.tmp.ctx = ctx;
  fws_memo_init(&e.memo, &e.tmp);
  idx = lua_absindex(L, idx);
  int rc = t->op == FWS_OP_OBJECT ? enc_object(&e, idx, t) : enc_value(&e, idx, t);
  fws_memo_free(&e.memo);
  if (!rc && ctx->out.failed) {
    fws_verrs_add(errs, &e.path, t->label, "", "out of memory writing the JSON text");
    rc = -1;
  }
  return rc;
}
