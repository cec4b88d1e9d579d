/* JSON text -> Lua value, validated against a compiled type while it parses (one pass). */
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

typedef struct dec {
  lua_State *L;
  fws_codec_ctx *ctx;
  const char *p, *end, *base;
  fws_verrs *errs;
  int strict;
  int depth, max_depth;
  fws_path path;
  const char *variant;
  fws_memo memo;        /* union members that failed, by place */
  fws_tmp tmp;          /* temporary memory that a memory error cannot leak */
  int anchor;           /* stack index of the anchor table, or 0 (fws_decode_opts) */
} dec;

/* ---- errors ---- */

static int word_at(const dec *d, const char *w, size_t n) {
  return (size_t)(d->end - d->p) >= n && memcmp(d->p, w, n) == 0;
}

static const char *json_got(const dec *d) {
  if (d->p >= d->end) return "end of text";
  switch (*d->p) {
  case '"': return "string";
  case '{': return "object";
  case '[': return "array";
  /* "not json" starts like null: only the whole word is one */
  case 't': return word_at(d, "true", 4) ? "boolean" : "invalid JSON";
  case 'f': return word_at(d, "false", 5) ? "boolean" : "invalid JSON";
  case 'n': return word_at(d, "null", 4) ? "null" : "invalid JSON";
  case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
    return "number";
  default: return "invalid JSON";
  }
}

static int syntax(dec *d, const char *what) {
  fws_verrs_add(d->errs, &d->path, "JSON", json_got(d), "invalid JSON at byte %zu: %s",
                (size_t)(d->p - d->base) + 1, what);
  return -1;
}

/* Where a value should start and none can: the text is not JSON (there), whatever type was hoped
** for. Returns 1 after adding the error, 0 when a value may start here. */
static int not_json(dec *d) {
  const char *got = json_got(d);
  if (strcmp(got, "invalid JSON") != 0 && strcmp(got, "end of text") != 0) return 0;
  if (d->p >= d->end) {
    fws_verrs_add(d->errs, &d->path, "JSON", got, "invalid JSON at byte %zu: the text ends where a value should be",
                  (size_t)(d->p - d->base) + 1);
    return 1;
  }
  char ex[64];
  fws_verrs_add(d->errs, &d->path, "JSON", got, "invalid JSON at byte %zu: expected a value, found '%s'",
                (size_t)(d->p - d->base) + 1, fws_excerpt(ex, sizeof ex, d->p, (size_t)(d->end - d->p), 20));
  return 1;
}

static int mismatch(dec *d, const fws_ct *t) {
  if (not_json(d)) return -1;
  const char *got = json_got(d);
  fws_verrs_add(d->errs, &d->path, t->label, got, "expected %s, got %s", t->label, got);
  return -1;
}

static inline void skip_ws(dec *d) {
  const char *p = d->p, *end = d->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  d->p = p;
}

/* ---- strings ---- */

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

/* Parses the string at d->p (the opening quote). On success *s and *n hold its text: a span of the
** input when it has no escapes, else the unescaped copy in ctx->scratch. */
static int parse_string(dec *d, const char **s, size_t *n) {
  const char *p = d->p + 1, *end = d->end;
  const char *start = p;
  /* fast scan: plain bytes up to the closing quote, eight at a time while none is a quote, a
  ** backslash or a control byte; bytes from 0x80 up are noted, only they need the UTF-8 check */
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t high = 0;
  for (uint64_t v; end - p >= 8; p += 8) {
    memcpy(&v, p, 8);
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    uint64_t stop = (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
    high |= v; /* the bytes after a stop too: a needless UTF-8 check at worst */
    if (stop) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      /* the lowest flag is exact (the tests only err above a true hit): the first byte to stop at */
      p += __builtin_ctzll(stop) >> 3;
#endif
      break;
    }
  }
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\' || c < 0x20) break;
    high |= c;
    p++;
  }
  if (p < end && *p == '"') {
    size_t len = (size_t)(p - start);
    if ((high & highs) && fws_utf8_valid_prefix(start, len) != len) {
      d->p = start + fws_utf8_valid_prefix(start, len);
      return syntax(d, "a string is not valid UTF-8");
    }
    *s = start;
    *n = len;
    d->p = p + 1;
    return 0;
  }
  fws_buf *b = &d->ctx->scratch;
  b->len = 0;
  fws_buf_put(b, start, (size_t)(p - start));
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') break;
    if (c < 0x20) {
      d->p = p;
      return syntax(d, "a control character inside a string must be escaped");
    }
    if (c != '\\') {
      const char *run = p;
      while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
      fws_buf_put(b, run, (size_t)(p - run));
      continue;
    }
    if (end - p < 2) {
      /* a backslash as the last byte: the string never closes */
      d->p = end;
      return syntax(d, "a string is not closed");
    }
    char e = p[1];
    char out;
    switch (e) {
    case '"': out = '"'; break;
    case '\\': out = '\\'; break;
    case '/': out = '/'; break;
    case 'b': out = '\b'; break;
    case 'f': out = '\f'; break;
    case 'n': out = '\n'; break;
    case 'r': out = '\r'; break;
    case 't': out = '\t'; break;
    case 'u': {
      unsigned cp;
      if (end - p < 6 || !hex4(p + 2, &cp)) {
        d->p = p;
        return syntax(d, "\\u needs four hex digits");
      }
      p += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo;
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
          d->p = p;
          return syntax(d, "a lone UTF-16 surrogate is not text");
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        d->p = p;
        return syntax(d, "a lone UTF-16 surrogate is not text");
      }
      char u[4];
      fws_buf_put(b, u, fws_utf8_put(cp, u));
      continue;
    }
    default:
      d->p = p;
      return syntax(d, "unknown escape in a string");
    }
    fws_buf_putc(b, out);
    p += 2;
  }
  if (p >= end) {
    d->p = end;
    return syntax(d, "a string is not closed");
  }
  if (b->failed) return syntax(d, "out of memory");
  if (fws_utf8_valid_prefix(b->data, b->len) != b->len) {
    d->p = start;
    return syntax(d, "a string is not valid UTF-8");
  }
  *s = b->data;
  *n = b->len;
  d->p = p + 1;
  return 0;
}

/* ---- skipping (dispatch look-ahead and set checks) ---- */

/* Skips one value without building it; returns 0 or -1 on malformed text. */
static int skip_value(dec *d) {
  int depth = 0;
  const char *p = d->p, *end = d->end;
  do {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',' || *p == ':')) p++;
    if (p >= end) return -1;
    char c = *p;
    if (c == '{' || c == '[') {
      if (++depth > d->max_depth) return -1;
      p++;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return -1;
      p++;
    } else if (c == '"') {
      p++;
      while (p < end && *p != '"') p += *p == '\\' && end - p > 1 ? 2 : 1; /* never past the end */
      if (p >= end) return -1;
      p++;
    } else {
      const char *s = p;
      while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t' && *p != ':') p++;
      if (p == s) return -1;
    }
  } while (depth > 0);
  d->p = p;
  return 0;
}

/* Looks ahead in the object at d->p for `key` holding a string; its text in *v and *vn (a span of
** the input, or with escapes the unescaped copy in scratch).
** Returns 1 found, 0 absent (or not a plain string), and leaves d->p where it was. */
static int peek_key(dec *d, const char *key, size_t keylen, const char **v, size_t *vn) {
  const char *save = d->p;
  size_t emark = d->errs->n;
  int found = 0;
  d->p++; /* '{' */
  for (;;) {
    skip_ws(d);
    if (d->p >= d->end || *d->p != '"') break;
    const char *k = d->p + 1, *q = k;
    while (q < d->end && *q != '"' && *q != '\\') q++;
    if (q >= d->end) break;
    int match = *q == '"' && (size_t)(q - k) == keylen && memcmp(k, key, keylen) == 0;
    if (*q == '\\') {
      const char *s;
      size_t n;
      if (parse_string(d, &s, &n)) break;
      match = n == keylen && memcmp(s, key, keylen) == 0;
    } else {
      d->p = q + 1;
    }
    skip_ws(d);
    if (d->p >= d->end || *d->p != ':') break;
    d->p++;
    skip_ws(d);
    if (match) {
      if (d->p < d->end && *d->p == '"') {
        const char *s = d->p + 1, *e = s;
        while (e < d->end && *e != '"' && *e != '\\') e++;
        if (e < d->end && *e == '"') {
          *v = s;
          *vn = (size_t)(e - s);
          found = 1;
        } else if (e < d->end && parse_string(d, v, vn) == 0) {
          found = 1; /* "a\u0062" is "ab": unescaped into scratch, used before the next string is */
        }
      }
      break;
    }
    if (skip_value(d)) break;
    skip_ws(d);
    if (d->p < d->end && *d->p == ',') {
      d->p++;
      continue;
    }
    break;
  }
  d->p = save;
  fws_verrs_truncate(d->errs, emark); /* the real parse reports malformed text */
  return found;
}

/* ---- values ---- */

static int dec_value(dec *d, const fws_ct *t);
static int dec_any(dec *d);

static int expect_word(dec *d, const char *w, size_t n) {
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, w, n) != 0) return syntax(d, "unexpected text");
  d->p += n;
  return 0;
}

static int dec_number(dec *d, fws_num *num) {
  size_t used = fws_parse_number(d->p, d->end, num);
  if (!used) return syntax(d, "a number is malformed");
  d->p += used;
  return 0;
}

static int dec_integer(dec *d, const fws_ct *t) {
  if (d->p >= d->end || !(*d->p == '-' || (*d->p >= '0' && *d->p <= '9'))) return mismatch(d, t);
  const char *at = d->p;
  fws_num num;
  if (dec_number(d, &num)) return -1;
  char text[48];
  size_t tl = (size_t)(d->p - at) < sizeof text - 1 ? (size_t)(d->p - at) : sizeof text - 1;
  memcpy(text, at, tl);
  text[tl] = '\0';
  if (!num.integral) {
    fws_verrs_add(d->errs, &d->path, t->label, "number", "expected an integer, got %s", text);
    return -1;
  }
  int64_t v;
  if (num.exact) {
    v = num.i; /* 7, or 1.0 and 1e2: integral, written another way */
  } else if (num.is_uint && t->op == FWS_OP_UINT64) {
    /* above Lua's integers: a float, as Lua itself reads such a numeral */
    lua_pushnumber(d->L, (lua_Number)num.u);
    return 0;
  } else {
    fws_verrs_add(d->errs, &d->path, t->label, "number", "%s is out of range for %s", text, t->label);
    return -1;
  }
  int in_range = 1;
  switch (t->op) {
  case FWS_OP_INT32: in_range = v >= INT32_MIN && v <= INT32_MAX; break;
  case FWS_OP_UINT32: in_range = v >= 0 && v <= (int64_t)UINT32_MAX; break;
  case FWS_OP_UINT64: in_range = v >= 0; break;
  default: break;
  }
  if (!in_range) {
    fws_verrs_add(d->errs, &d->path, t->label, "number", "%s is out of range for %s", text, t->label);
    return -1;
  }
  if (t->rules && !fws_rules_number(t->rules, (double)v, 1, v, d->errs, &d->path)) return -1;
  lua_pushinteger(d->L, (lua_Integer)v);
  return 0;
}

static int dec_double(dec *d, const fws_ct *t) {
  if (d->p >= d->end || !(*d->p == '-' || (*d->p >= '0' && *d->p <= '9'))) return mismatch(d, t);
  fws_num num;
  if (dec_number(d, &num)) return -1;
  if (!isfinite(num.d)) {
    fws_verrs_add(d->errs, &d->path, t->label, "number", "is too large for a double");
    return -1;
  }
  if (t->rules && !fws_rules_number(t->rules, num.d, num.is_int, num.i, d->errs, &d->path)) return -1;
  lua_pushnumber(d->L, (lua_Number)num.d);
  return 0;
}

static int check_string(dec *d, const fws_ct *t, const char *s, size_t n) {
  int ok = fws_is_primitive(t->op, s, n);
  if (!ok) {
    fws_verrs_add(d->errs, &d->path, t->label, "string", "is not %s", fws_expect_string(t));
    return -1;
  }
  if (t->rules && !fws_rules_string(t->rules, d->ctx->match_data, s, n, d->errs, &d->path)) return -1;
  return 0;
}

static int dec_string(dec *d, const fws_ct *t) {
  if (d->p >= d->end || *d->p != '"') return mismatch(d, t);
  const char *s;
  size_t n;
  if (parse_string(d, &s, &n)) return -1;
  if (t->op != FWS_OP_STRING || t->rules) {
    if (check_string(d, t, s, n)) return -1;
  }
  lua_pushlstring(d->L, s, n);
  return 0;
}

static int dec_enum(dec *d, const fws_ct *t) {
  if (d->p >= d->end || *d->p != '"') return mismatch(d, t);
  const char *s;
  size_t n;
  if (parse_string(d, &s, &n)) return -1;
  if (fws_strhash_find(&t->u.en.hash, t->u.en.values, t->u.en.lens, s, n) < 0) {
    char ex[200];
    fws_textlist list;
    fws_expect_values(t, &list);
    fws_verrs_add(d->errs, &d->path, t->label, "string", "'%s' is not one of %s", fws_excerpt(ex, sizeof ex, s, n, 40),
                  list.text);
    return -1;
  }
  lua_pushlstring(d->L, s, n);
  return 0;
}

static int dec_literal(dec *d, const fws_ct *t) {
  if (t->op == FWS_OP_LITERAL_BOOL) {
    int b = d->p < d->end && *d->p == 't';
    if (d->p >= d->end || (*d->p != 't' && *d->p != 'f')) return mismatch(d, t);
    if (expect_word(d, b ? "true" : "false", b ? 4 : 5)) return -1;
    if (b != t->u.lit.b) {
      fws_verrs_add(d->errs, &d->path, t->label, "boolean", "expected %s, got %s", t->label, b ? "true" : "false");
      return -1;
    }
    lua_pushboolean(d->L, b);
    return 0;
  }
  if (d->p >= d->end || *d->p != '"') return mismatch(d, t);
  const char *s;
  size_t n;
  if (parse_string(d, &s, &n)) return -1;
  if (n != t->u.lit.len || memcmp(s, t->u.lit.s, n) != 0) {
    char ex[200];
    fws_verrs_add(d->errs, &d->path, t->label, "string", "expected %s, got '%s'", t->label,
                  fws_excerpt(ex, sizeof ex, s, n, 40));
    return -1;
  }
  lua_pushlstring(d->L, s, n);
  return 0;
}

static int enter(dec *d) {
  if (++d->depth > d->max_depth) {
    fws_verrs_add(d->errs, &d->path, "JSON", "", "nests deeper than %d levels", d->max_depth);
    return -1;
  }
  /* a level uses a few slots: room for the next 8 levels at once (the first fits in the
  ** LUA_MINSTACK slots every C function starts with) */
  if ((d->depth & 7) == 2) luaL_checkstack(d->L, 64, "fernws: JSON too deep");
  return 0;
}

/* After an item of a list or object: 1 when ',' says another follows, 0 at the closing bracket
** (consumed), -1 on anything else (reported). */
static int after_item(dec *d, char close) {
  skip_ws(d);
  if (d->p < d->end && *d->p == ',') {
    d->p++;
    return 1;
  }
  if (d->p < d->end && *d->p == close) {
    d->p++;
    return 0;
  }
  syntax(d, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
  return -1;
}

/* At the opening bracket of a list or map: pushes its table; 1 when it is empty (closing bracket
** consumed), 0 when items follow, -1 when it is not one (reported, nothing pushed). */
static int open_container(dec *d, const fws_ct *t, char open, char close) {
  if (d->p >= d->end || *d->p != open) return mismatch(d, t);
  if (enter(d)) return -1;
  d->p++;
  lua_newtable(d->L);
  skip_ws(d);
  if (d->p < d->end && *d->p == close) {
    d->p++;
    return 1;
  }
  return 0;
}

static int dec_list(dec *d, const fws_ct *t) {
  int empty = open_container(d, t, '[', ']');
  if (empty < 0) return -1;
  lua_State *L = d->L;
  lua_Integer i = 0;
  if (!empty) {
    for (;;) {
      skip_ws(d);
      fws_path_index(&d->path, ++i);
      if (dec_value(d, t->u.elem)) goto fail;
      if (lua_isnil(L, -1)) {
        /* an optional element's null: kept as fernws.null, or the list would have a hole */
        lua_pop(L, 1);
        lua_pushlightuserdata(L, NULL);
      }
      lua_rawseti(L, -2, i);
      d->path.n--;
      int more = after_item(d, ']');
      if (more < 0) goto fail;
      if (!more) break;
    }
  }
  if (t->op == FWS_OP_SET) {
    lua_Integer dup = fws_set_duplicate(L, -1, i);
    if (dup) {
      fws_path_index(&d->path, dup);
      fws_verrs_add(d->errs, &d->path, t->label, "", "is a duplicate: a set holds each value once");
      d->path.n--;
      goto fail;
    }
  }
  if (t->rules && !fws_rules_count(t->rules, (size_t)i, d->errs, &d->path)) goto fail;
  d->depth--;
  return 0;
fail:
  lua_pop(L, 1);
  return -1;
}

/* A map key: strings checked as the key type, numeric key types become Lua numbers. */
static int push_map_key(dec *d, const fws_ct *kt, const char *s, size_t n) {
  while (kt->op == FWS_OP_OPTIONAL || kt->op == FWS_OP_NULLABLE) kt = kt->u.elem;
  switch (kt->op) {
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64: case FWS_OP_DOUBLE: {
    fws_num num;
    if (n == 0 || fws_parse_number(s, s + n, &num) != n) {
      fws_verrs_add(d->errs, &d->path, kt->label, "string", "a key must be a number (%s)", kt->label);
      return -1;
    }
    dec sub = *d;
    sub.p = s;
    sub.end = s + n;
    return kt->op == FWS_OP_DOUBLE ? dec_double(&sub, kt) : dec_integer(&sub, kt);
  }
  case FWS_OP_BOOL:
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
      lua_pushboolean(d->L, n == 4);
      return 0;
    }
    fws_verrs_add(d->errs, &d->path, kt->label, "string", "a key must be true or false");
    return -1;
  case FWS_OP_ENUM:
    if (fws_strhash_find(&kt->u.en.hash, kt->u.en.values, kt->u.en.lens, s, n) < 0) {
      char ex[200];
      fws_textlist list;
      fws_expect_values(kt, &list);
      fws_verrs_add(d->errs, &d->path, kt->label, "string", "'%s' is not one of %s", fws_excerpt(ex, sizeof ex, s, n, 40),
                    list.text);
      return -1;
    }
    break;
  case FWS_OP_LITERAL_STRING:
    if (n != kt->u.lit.len || memcmp(s, kt->u.lit.s, n) != 0) {
      fws_verrs_add(d->errs, &d->path, kt->label, "string", "the key must be %s", kt->label);
      return -1;
    }
    break;
  case FWS_OP_UNKNOWN:
    break;
  default:
    if (check_string(d, kt, s, n)) return -1;
  }
  lua_pushlstring(d->L, s, n);
  return 0;
}

static int dec_map(dec *d, const fws_ct *t) {
  int empty = open_container(d, t, '{', '}');
  if (empty < 0) return -1;
  lua_State *L = d->L;
  size_t count = 0;
  if (!empty) {
    for (;;) {
      skip_ws(d);
      if (d->p >= d->end || *d->p != '"') goto bad_key;
      const char *k;
      size_t kl;
      if (parse_string(d, &k, &kl)) goto fail;
      fws_path_key(&d->path, k, kl);
      /* the key text may sit in scratch, which the value reuses: make it a Lua value first */
      if (push_map_key(d, t->u.map.key, k, kl)) goto fail_path;
      lua_pushvalue(L, -1);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t l2;
        const char *k2 = lua_tolstring(L, -1, &l2);
        d->path.segs[d->path.n - 1].key = k2;
        d->path.segs[d->path.n - 1].len = l2;
      }
      lua_pop(L, 1);
      skip_ws(d);
      if (d->p >= d->end || *d->p != ':') {
        lua_pop(L, 1);
        syntax(d, "expected ':'");
        goto fail_path;
      }
      d->p++;
      skip_ws(d);
      if (dec_value(d, t->u.map.value)) {
        lua_pop(L, 1);
        goto fail_path;
      }
      lua_rawset(L, -3);
      d->path.n--;
      count++;
      int more = after_item(d, '}');
      if (more < 0) goto fail;
      if (!more) break;
    }
  }
  if (t->rules && !fws_rules_count(t->rules, count, d->errs, &d->path)) goto fail;
  d->depth--;
  return 0;
bad_key:
  syntax(d, "expected a key (a string)");
  goto fail;
fail_path:
  d->path.n--;
fail:
  lua_pop(L, 1);
  return -1;
}

/* The property named k, or -1: small objects compare names, larger ones hash. */
static int32_t find_prop(const fws_ct *t, const char *k, size_t kl) {
  uint32_t n = t->u.obj.n;
  if (n > 8) return fws_prop_find(t, k, kl);
  const fws_cprop *props = t->u.obj.props;
  for (uint32_t i = 0; i < n; i++)
    if (props[i].len == kl && memcmp(props[i].name, k, kl) == 0) return (int32_t)i;
  return -1;
}

/* The property whose name stands at d->p (a '"') exactly as the encoder writes it, colon included
** ("name":), consumed; else -1 and nothing consumed: escapes or spaces take parse_string. */
static int32_t compact_key(dec *d, const fws_ct *t) {
  uint32_t n = t->u.obj.n;
  size_t avail = (size_t)(d->end - d->p);
  const fws_cprop *props = t->u.obj.props;
  if (n > 16) return -1;
  for (uint32_t i = 0; i < n; i++) {
    const fws_cprop *p = &props[i];
    if (p->jkeylen <= avail && p->jkey[1] == d->p[1] && memcmp(d->p, p->jkey, p->jkeylen) == 0) {
      d->p += p->jkeylen;
      return (int32_t)i;
    }
  }
  return -1;
}

/* Pushes a property's name: the anchored string once learnt (no hashing, no interning). */
static void push_name(dec *d, const fws_cprop *cp) {
  fws_cprop *p = (fws_cprop *)cp;
  if (p->lref && d->anchor) {
    lua_rawgeti(d->L, d->anchor, p->lref);
  } else {
    lua_pushlstring(d->L, p->name, p->len);
    if (d->anchor) fws_codec_learn_key(d->L, d->anchor, -1, p);
  }
}

static int dec_object(dec *d, const fws_ct *t) {
  if (d->p >= d->end || *d->p != '{') return mismatch(d, t);
  if (enter(d)) return -1;
  lua_State *L = d->L;
  uint32_t n = t->u.obj.n;
  /* which properties came: bits for up to 64, else a byte each */
  uint64_t seen_bits = 0;
  unsigned char *seen = n > 64 ? fws_tmp_alloc(&d->tmp, n) : NULL;
  d->p++;
  lua_createtable(L, 0, (int)(n < 16 ? n : 16));
  skip_ws(d);
  if (d->p < d->end && *d->p == '}') {
    d->p++;
  } else {
    for (;;) {
      skip_ws(d);
      if (d->p >= d->end || *d->p != '"') {
        syntax(d, "expected a property name (a string)");
        goto fail;
      }
      const char *k;
      size_t kl;
      int32_t pi = compact_key(d, t);
      if (pi >= 0) {
        push_name(d, &t->u.obj.props[pi]);
        fws_path_key(&d->path, t->u.obj.props[pi].name, t->u.obj.props[pi].len);
        goto value;
      }
      if (parse_string(d, &k, &kl)) goto fail;
      pi = find_prop(t, k, kl);
      if (pi >= 0) {
        push_name(d, &t->u.obj.props[pi]);
        k = t->u.obj.props[pi].name; /* stable text for the path */
      } else {
        lua_pushlstring(L, k, kl);
        k = lua_tolstring(L, -1, &kl);
      }
      fws_path_key(&d->path, k, kl);
      skip_ws(d);
      if (d->p >= d->end || *d->p != ':') {
        syntax(d, "expected ':'");
        lua_pop(L, 1);
        goto fail_path;
      }
      d->p++;
    value:
      skip_ws(d);
      int r;
      if (pi >= 0) {
        if (seen) seen[pi] = 1;
        else seen_bits |= (uint64_t)1 << pi;
        r = dec_value(d, t->u.obj.props[pi].type);
      } else if (d->strict && !t->u.obj.extra) {
        fws_verrs_add(d->errs, &d->path, t->label, json_got(d), "unknown property (not in %s)", t->label);
        r = -1;
      } else {
        /* kept: a newer server may send more than the definition knows */
        r = dec_any(d);
      }
      if (r) {
        lua_pop(L, 1);
        goto fail_path;
      }
      lua_rawset(L, -3);
      d->path.n--;
      int more = after_item(d, '}');
      if (more < 0) goto fail;
      if (!more) break;
    }
  }
  int all_seen = !seen && (n == 64 ? seen_bits == UINT64_MAX : seen_bits == ((uint64_t)1 << n) - 1);
  for (uint32_t i = 0; i < n && !all_seen; i++) {
    const fws_cprop *p = &t->u.obj.props[i];
    if (seen ? seen[i] : (seen_bits >> i) & 1) continue;
    if (p->required) {
      fws_path_key(&d->path, p->name, p->len);
      fws_verrs_add(d->errs, &d->path, p->type->label, "nothing", "required property is missing (expected %s)",
                    p->type->label);
      d->path.n--;
      goto fail;
    }
    if (p->literal && p->type->op != FWS_OP_OPTIONAL) {
      /* a literal left out is implied: the value says it, so handlers can read value.type */
      lua_pushlstring(L, p->name, p->len);
      if (p->type->op == FWS_OP_LITERAL_BOOL) lua_pushboolean(L, p->type->u.lit.b);
      else lua_pushlstring(L, p->type->u.lit.s, p->type->u.lit.len);
      lua_rawset(L, -3);
    }
  }
  fws_tmp_free(&d->tmp, seen);
  d->depth--;
  return 0;
fail_path:
  d->path.n--;
fail:
  fws_tmp_free(&d->tmp, seen);
  lua_pop(L, 1);
  return -1;
}

static int dec_union(dec *d, const fws_ct *t) {
  if (d->p >= d->end || *d->p != '{') return mismatch(d, t);
  const char *v;
  size_t vn;
  int32_t vi = -1;
  int found = peek_key(d, t->u.un.disc, t->u.un.disclen, &v, &vn);
  if (found) vi = fws_strhash_find(&t->u.un.hash, t->u.un.values, t->u.un.vlens, v, vn);
  if (vi < 0) {
    fws_textlist list;
    fws_textlist_init(&list);
    for (uint32_t i = 0; i < t->u.un.n; i++) fws_textlist_add(&list, t->u.un.values[i], 1);
    fws_path_key(&d->path, t->u.un.disc, t->u.un.disclen);
    /* as the encoder says it: a value that is no variant, or no discriminant (absent or not a string) */
    char ex[200];
    if (found)
      fws_verrs_add(d->errs, &d->path, t->label, "string", "'%s' is not a variant of %s (one of %s)",
                    fws_excerpt(ex, sizeof ex, v, vn, 40), t->label, list.text);
    else
      fws_verrs_add(d->errs, &d->path, t->label, "nothing", "the discriminant is missing or not a string (one of %s)",
                    list.text);
    d->path.n--;
    return -1;
  }
  /* info.variant: the innermost union decision about the value itself (not its properties) */
  if (d->depth == 0 && !d->variant) d->variant = t->u.un.values[vi];
  return dec_object(d, t->u.un.variants[vi]);
}

/* Tries the choices in order from the same place; the first that decodes wins. */
static int dec_any(dec *d);

static int dec_choice(dec *d, const fws_ct *t, const fws_dispatch *ds, int *tag) {
  if (not_json(d)) return -1; /* no member could tell more */
  uint32_t stack_all[64];
  uint32_t *all = ds->n <= 64 ? stack_all : fws_tmp_alloc(&d->tmp, ds->n * sizeof *all);
  const uint32_t *c = all;
  uint32_t n = ds->n;
  int unknown_value = 0, missing_key = 0;
  for (uint32_t i = 0; i < ds->n; i++) all[i] = i;
  if (ds->key && d->p < d->end && *d->p == '{') {
    const char *v;
    size_t vn;
    if (peek_key(d, ds->key, ds->keylen, &v, &vn)) {
      int32_t k = fws_strhash_find(&ds->vhash, ds->values, ds->vlens, v, vn);
      if (k >= 0) {
        c = ds->cands[k];
        n = ds->ncands[k];
      } else {
        c = ds->fallback;
        n = ds->nfallback;
        unknown_value = 1;
      }
    } else {
      missing_key = 1; /* every choice, in order */
    }
  }
  int rc = -1;
  const char *start = d->p;
  size_t emark = d->errs->n;
  int top = lua_gettop(d->L);
  const char *variant = d->variant;
  /* members are tried strictly first (an extra property means another member), then, unless the
  ** caller asked for strict decoding, leniently: a newer server may add properties */
  int strict = d->strict, passes = (n > 1 && !strict) ? 2 : 1;
  if (n > 1) d->errs->muted++; /* a member that does not fit is no error yet: no text is made for it */
  for (int pass = 0; pass < passes && rc; pass++) {
  d->strict = n > 1 && pass == 0 ? 1 : strict;
  for (uint32_t i = 0; i < n && rc; i++) {
    const fws_choice *ch = &ds->choices[c[i]];
    d->p = start;
    d->variant = variant;
    int depth = d->depth, pathn = d->path.n;
    uintptr_t place = (uintptr_t)(start - d->base);
    if (fws_memo_has(&d->memo, place, ch->type, d->strict)) {
      /* it failed here before (under a member tried earlier further up) */
      fws_verrs_add(d->errs, &d->path, ch->type->label, json_got(d), "does not match %s", ch->name);
      rc = -1;
    } else {
      rc = dec_value(d, ch->type);
      if (rc) fws_memo_add(&d->memo, place, ch->type, d->strict);
    }
    if (!rc) {
      if (d->depth == 0 && d->variant == variant) d->variant = ch->variant;
      if (tag) *tag = ch->tag;
      break;
    }
    d->depth = depth;
    d->path.n = pathn;
    lua_settop(d->L, top);
    /* one candidate: keep its errors, they say what is wrong */
    if (n > 1) fws_verrs_truncate(d->errs, emark);
  }
  }
  if (n > 1) d->errs->muted--;
  d->strict = strict;
  if (rc && n > 1 && !missing_key && !unknown_value) {
    /* the member that owns the literal value is the one meant: its errors say what is wrong */
    int primary = -1, owners = 0;
    for (uint32_t i = 0; i < n; i++) {
      int fallback = 0;
      for (uint32_t j = 0; j < ds->nfallback && !fallback; j++) fallback = ds->fallback[j] == c[i];
      if (!fallback) primary = (int)c[i], owners++;
    }
    if (owners == 1) {
      d->p = start;
      int depth = d->depth, pathn = d->path.n;
      if (dec_value(d, ds->choices[primary].type) == 0) lua_settop(d->L, top); /* cannot happen */
      d->depth = depth;
      d->path.n = pathn;
      lua_settop(d->L, top);
      d->p = start;
      if (all != stack_all) fws_tmp_free(&d->tmp, all);
      return -1;
    }
  }
  if (rc && n != 1) {
    d->p = start;
    /* text that is no JSON at all: say where, rather than that no member fits */
    int depth = d->depth, pathn = d->path.n;
    size_t before = d->errs->n;
    if (dec_any(d) == 0) lua_settop(d->L, top);
    d->depth = depth;
    d->path.n = pathn;
    if (d->errs->n > before) {
      d->p = start;
      if (all != stack_all) free(all);
      return -1;
    }
    d->p = start;
    if (unknown_value && n == 0) {
      const char *v;
      size_t vn = 0;
      peek_key(d, ds->key, ds->keylen, &v, &vn);
      fws_path_key(&d->path, ds->key, ds->keylen);
      fws_textlist list;
      fws_textlist_init(&list);
      for (uint32_t i = 0; i < ds->nvalues; i++) fws_textlist_add(&list, ds->values[i], 1);
      char ex[200];
      fws_verrs_add(d->errs, &d->path, t ? t->label : "message", "string", "'%s' is not one of %s",
                    fws_excerpt(ex, sizeof ex, v, vn, 40), list.text);
      d->path.n--;
    } else {
      fws_textlist list;
      fws_textlist_init(&list);
      for (uint32_t i = 0; i < n; i++) fws_textlist_add(&list, ds->choices[c[i]].name, 0);
      fws_verrs_add(d->errs, &d->path, t ? t->label : "message", json_got(d), "matches none of %s (tried %s)%s",
                    t ? t->label : "the messages", n ? list.text : "nothing",
                    missing_key ? "; the property that tells them apart is missing" : "");
    }
  }
  if (all != stack_all) fws_tmp_free(&d->tmp, all);
  return rc;
}

static int dec_null(dec *d) {
  if (expect_word(d, "null", 4)) return -1;
  lua_pushlightuserdata(d->L, NULL);
  return 0;
}

static int dec_any(dec *d) {
  static const fws_ct unknown_ct = {.op = FWS_OP_UNKNOWN, .complete = 1, .label = "JSON value"};
  lua_State *L = d->L;
  if (d->p >= d->end) return syntax(d, "a value is missing");
  switch (*d->p) {
  case '"': {
    const char *s;
    size_t n;
    if (parse_string(d, &s, &n)) return -1;
    lua_pushlstring(L, s, n);
    return 0;
  }
  case 't': if (expect_word(d, "true", 4)) return -1; lua_pushboolean(L, 1); return 0;
  case 'f': if (expect_word(d, "false", 5)) return -1; lua_pushboolean(L, 0); return 0;
  case 'n': return dec_null(d);
  case '[': {
    if (enter(d)) return -1;
    d->p++;
    lua_newtable(L);
    lua_Integer i = 0;
    skip_ws(d);
    if (d->p < d->end && *d->p == ']') {
      d->p++;
      /* an empty array stays an array when written back */
      lua_rawgeti(L, LUA_REGISTRYINDEX, d->ctx->array_mt_ref);
      lua_setmetatable(L, -2);
      d->depth--;
      return 0;
    }
    for (;;) {
      skip_ws(d);
      fws_path_index(&d->path, ++i);
      if (dec_any(d)) {
        lua_pop(L, 1);
        return -1;
      }
      lua_rawseti(L, -2, i);
      d->path.n--;
      int more = after_item(d, ']');
      if (more < 0) {
        lua_pop(L, 1);
        return -1;
      }
      if (!more) break;
    }
    d->depth--;
    return 0;
  }
  case '{': {
    if (enter(d)) return -1;
    d->p++;
    lua_newtable(L);
    skip_ws(d);
    if (d->p < d->end && *d->p == '}') {
      d->p++;
      d->depth--;
      return 0;
    }
    for (;;) {
      skip_ws(d);
      if (d->p >= d->end || *d->p != '"') {
        lua_pop(L, 1);
        return syntax(d, "expected a key (a string)");
      }
      const char *k;
      size_t kl;
      if (parse_string(d, &k, &kl)) {
        lua_pop(L, 1);
        return -1;
      }
      lua_pushlstring(L, k, kl);
      k = lua_tolstring(L, -1, &kl);
      fws_path_key(&d->path, k, kl);
      skip_ws(d);
      if (d->p >= d->end || *d->p != ':') {
        lua_pop(L, 2);
        d->path.n--;
        return syntax(d, "expected ':'");
      }
      d->p++;
      skip_ws(d);
      if (dec_any(d)) {
        lua_pop(L, 2);
        d->path.n--;
        return -1;
      }
      lua_rawset(L, -3);
      d->path.n--;
      int more = after_item(d, '}');
      if (more < 0) {
        lua_pop(L, 1);
        return -1;
      }
      if (!more) break;
    }
    d->depth--;
    return 0;
  }
  default: {
    if (!(*d->p == '-' || (*d->p >= '0' && *d->p <= '9'))) return mismatch(d, &unknown_ct);
    fws_num num;
    if (dec_number(d, &num)) return -1;
    if (num.is_int) {
      lua_pushinteger(L, (lua_Integer)num.i);
    } else if (!isfinite(num.d)) {
      /* 5e400 would read as inf, which no JSON can carry back */
      fws_verrs_add(d->errs, &d->path, "JSON value", "number", "is too large for a double");
      return -1;
    } else {
      lua_pushnumber(L, (lua_Number)num.d);
    }
    return 0;
  }
  }
}

static int dec_value(dec *d, const fws_ct *t) {
  switch (t->op) {
  case FWS_OP_STRING: case FWS_OP_DATETIME: case FWS_OP_DATE: case FWS_OP_UUID: case FWS_OP_BASE64:
  case FWS_OP_BIGINT:
    return dec_string(d, t);
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64:
    return dec_integer(d, t);
  case FWS_OP_DOUBLE:
    return dec_double(d, t);
  case FWS_OP_BOOL:
    if (d->p < d->end && *d->p == 't') {
      if (expect_word(d, "true", 4)) return -1;
      lua_pushboolean(d->L, 1);
      return 0;
    }
    if (d->p < d->end && *d->p == 'f') {
      if (expect_word(d, "false", 5)) return -1;
      lua_pushboolean(d->L, 0);
      return 0;
    }
    return mismatch(d, t);
  case FWS_OP_UNKNOWN:
    return dec_any(d);
  case FWS_OP_LIST: case FWS_OP_SET:
    return dec_list(d, t);
  case FWS_OP_MAP:
    return dec_map(d, t);
  case FWS_OP_OPTIONAL:
    if (d->p < d->end && *d->p == 'n' && t->u.elem->op != FWS_OP_NULLABLE) {
      /* null for an optional value reads as absent; optional<nullable<T>> keeps it (fernws.null):
      ** telling absent from null is what that type is for */
      if (expect_word(d, "null", 4)) return -1;
      lua_pushnil(d->L);
      return 0;
    }
    return dec_value(d, t->u.elem);
  case FWS_OP_NULLABLE:
    if (d->p < d->end && *d->p == 'n') return dec_null(d);
    return dec_value(d, t->u.elem);
  case FWS_OP_LITERAL_STRING: case FWS_OP_LITERAL_BOOL:
    return dec_literal(d, t);
  case FWS_OP_OBJECT:
    return dec_object(d, t);
  case FWS_OP_ENUM:
    return dec_enum(d, t);
  case FWS_OP_UNION:
    return dec_union(d, t);
  case FWS_OP_UUNION:
    return dec_choice(d, t, &t->u.uu, NULL);
  }
  return mismatch(d, t);
}

static void init(dec *d, lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len,
                 const fws_decode_opts *opts, fws_verrs *errs) {
  d->L = L;
  d->ctx = ctx;
  d->p = d->base = text;
  d->end = text + len;
  d->errs = errs;
  d->strict = opts ? opts->strict : 0;
  d->max_depth = opts && opts->max_depth && opts->max_depth < FWS_MAX_DEPTH ? (int)opts->max_depth : FWS_MAX_DEPTH;
  d->depth = 0;
  d->path.n = 0;
  d->variant = NULL;
  d->anchor = opts ? opts->anchor : 0;
  d->tmp.L = L;
  d->tmp.ctx = ctx;
  fws_memo_init(&d->memo, &d->tmp);
}

static int finish(dec *d) {
  skip_ws(d);
  if (d->p != d->end) {
    lua_pop(d->L, 1);
    return syntax(d, "text after the value");
  }
  return 0;
}

int fws_decode(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, const fws_ct *t,
               const fws_decode_opts *opts, fws_verrs *errs, fws_decoded *out) {
  dec d;
  init(&d, L, ctx, text, len, opts, errs);
  skip_ws(&d);
  int rc = dec_value(&d, t) || finish(&d);
  fws_memo_free(&d.memo);
  if (rc) return -1;
  if (out) {
    out->variant = d.variant ? d.variant : t->variant;
    out->tag = -1;
  }
  return 0;
}

int fws_decode_dispatch(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, const fws_dispatch *ds,
                        const fws_decode_opts *opts, fws_verrs *errs, fws_decoded *out) {
  dec d;
  init(&d, L, ctx, text, len, opts, errs);
  skip_ws(&d);
  int tag = -1;
  if (ds->n == 0) {
    fws_verrs_add(errs, &d.path, "message", json_got(&d), "this side of the channel receives no messages");
    return -1;
  }
  int rc;
  if (ds->n == 1 && !ds->key) {
    /* one message: nothing to choose (what dec_choice would do with one candidate) */
    const fws_choice *ch = &ds->choices[0];
    rc = dec_value(&d, ch->type) || finish(&d);
    if (!d.variant) d.variant = ch->variant;
    tag = ch->tag;
  } else {
    rc = dec_choice(&d, NULL, ds, &tag) || finish(&d);
  }
  fws_memo_free(&d.memo);
  if (rc) return -1;
  if (out) {
    out->variant = d.variant;
    out->tag = tag;
  }
  return 0;
}

int fws_decode_any(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, fws_verrs *errs) {
  dec d;
  init(&d, L, ctx, text, len, NULL, errs);
  skip_ws(&d);
  int rc = dec_any(&d) || finish(&d);
  fws_memo_free(&d.memo);
  return rc ? -1 : 0;
}
