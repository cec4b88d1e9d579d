/* Query strings as Fern's SDKs write them (see fws_lquery.h). The TypeScript SDKs (hume 0.16,
** @deepgram/sdk 5.13) build them with qs-style rules: a[b][c]=v for objects at any depth, a list
** repeats its key (a list of objects repeats a[x]=..&a[y]=.. per element), an empty object or
** list and a null are not written, and names and values go through encodeURIComponent. Reading
** is directed by the type: a property name is matched whole (it may hold brackets), a map of
** scalars takes everything up to the last ']' as its key, a repeated leaf of a list appends. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lua/fws_lquery.h"
#include "types/fws_numtext.h"

#define FWS_QUERY_DEPTH 32

static const fws_ct *strip(const fws_ct *t) {
  while (t && (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE)) t = t->u.elem;
  return t;
}

static int is_null(lua_State *L, int idx) {
  return lua_isnil(L, idx) || (lua_type(L, idx) == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx));
}

/* ---- writing ---- */

/* encodeURIComponent: A-Z a-z 0-9 and - _ . ! ~ * ' ( ) stay, every other byte is %XX. */
static void add_component(luaL_Buffer *b, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || (c && strchr("-_.!~*'()", c))) {
      luaL_addchar(b, (char)c);
    } else {
      luaL_addchar(b, '%');
      luaL_addchar(b, hex[c >> 4]);
      luaL_addchar(b, hex[c & 15]);
    }
  }
}

/* The text of a scalar as the SDKs write it (String(v) in JavaScript). */
static const char *scalar_text(lua_State *L, int idx, char *tmp, size_t *len) {
  switch (lua_type(L, idx)) {
  case LUA_TBOOLEAN:
    *len = lua_toboolean(L, idx) ? 4 : 5;
    return lua_toboolean(L, idx) ? "true" : "false";
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) *len = fws_fmt_int((int64_t)lua_tointeger(L, idx), tmp);
    else *len = fws_fmt_double(lua_tonumber(L, idx), 0, tmp);
    return tmp;
  case LUA_TSTRING:
    return lua_tolstring(L, idx, len);
  default:
    return NULL;
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pushes name[sub], or sub alone at the top level (name NULL). */
static void push_sub(lua_State *L, const char *name, const char *sub, size_t sublen) {
  if (!name) {
    lua_pushlstring(L, sub, sublen);
    return;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, name);
  luaL_addchar(&b, '[');
  luaL_addlstring(&b, sub, sublen);
  luaL_addchar(&b, ']');
  luaL_pushresult(&b);
}

static void write_value(lua_State *L, int parts, const char *name, int v, const fws_ct *t, int multi, int depth);

/* The string keys of the table at v, sorted, except those of obj's properties; written as name[k]
** (as k when name is NULL). */
static void write_keys(lua_State *L, int parts, const char *name, int v, const fws_ct *obj, const fws_ct *vt,
                       int depth) {
  lua_newtable(L);
  int keys = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, v)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    size_t kl;
    const char *k = lua_tolstring(L, -1, &kl);
    if (obj && fws_prop_find(obj, k, kl) >= 0) continue;
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  if (n == 0) {
    lua_pop(L, 1);
    return;
  }
  const char **sorted = lua_newuserdatauv(L, sizeof(char *) * (size_t)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    sorted[i - 1] = lua_tostring(L, -1); /* kept alive by the keys table */
    lua_pop(L, 1);
  }
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
  for (lua_Integer i = 0; i < n; i++) {
    push_sub(L, name, sorted[i], strlen(sorted[i]));
    lua_getfield(L, v, sorted[i]);
    write_value(L, parts, lua_tostring(L, -2), lua_gettop(L), vt, 0, depth + 1);
    lua_pop(L, 2);
  }
  lua_pop(L, 2);
}

static void write_value(lua_State *L, int parts, const char *name, int v, const fws_ct *t, int multi, int depth) {
  if (is_null(L, v)) return;
  if (depth > FWS_QUERY_DEPTH) luaL_error(L, "query parameter '%s' nests too deeply", name);
  luaL_checkstack(L, 12, "query");
  t = strip(t);
  if (!lua_istable(L, v)) {
    char tmp[64];
    size_t len;
    const char *s = scalar_text(L, v, tmp, &len);
    if (!s) return; /* the type check refused what is not a scalar; untyped extras skip it */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    add_component(&b, name, strlen(name));
    luaL_addchar(&b, '=');
    add_component(&b, s, len);
    luaL_pushresult(&b);
    lua_rawseti(L, parts, (lua_Integer)lua_rawlen(L, parts) + 1);
    return;
  }
  int is_list = multi || (t && (t->op == FWS_OP_LIST || t->op == FWS_OP_SET));
  if (!t || t->op == FWS_OP_UNKNOWN || t->op == FWS_OP_UUNION) is_list = lua_rawlen(L, v) > 0;
  if (is_list) {
    const fws_ct *elem = multi ? t : (t && (t->op == FWS_OP_LIST || t->op == FWS_OP_SET)) ? t->u.elem : NULL;
    lua_Integer n = (lua_Integer)lua_rawlen(L, v);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, v, i);
      write_value(L, parts, name, lua_gettop(L), elem, 0, depth + 1);
      lua_pop(L, 1);
    }
    return;
  }
  if (t && t->op == FWS_OP_OBJECT) {
    for (uint32_t i = 0; i < t->u.obj.n; i++) {
      const fws_cprop *p = &t->u.obj.props[i];
      lua_pushlstring(L, p->name, p->len);
      if (lua_rawget(L, v) != LUA_TNIL) {
        push_sub(L, name, p->name, p->len);
        write_value(L, parts, lua_tostring(L, -1), lua_gettop(L) - 1, p->type, 0, depth + 1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    write_keys(L, parts, name, v, t, NULL, depth);
  } else {
    write_keys(L, parts, name, v, NULL, t && t->op == FWS_OP_MAP ? t->u.map.value : NULL, depth);
  }
}

void fws_lquery_write_keys(lua_State *L, int parts, int tidx) {
  write_keys(L, lua_absindex(L, parts), NULL, lua_absindex(L, tidx), NULL, NULL, 0);
}

void fws_lquery_write(lua_State *L, int parts, const char *name, int vidx, const fws_ct *t, int multi) {
  parts = lua_absindex(L, parts);
  write_value(L, parts, name, lua_absindex(L, vidx), t, multi, 0);
}

/* ---- reading ---- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Pushes the percent-decoded text, '+' as a space. */
static void push_decoded(lua_State *L, const char *s, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      luaL_addchar(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      luaL_addchar(&b, s[i] == '+' ? ' ' : s[i]);
    }
  }
  luaL_pushresult(&b);
}

void fws_lquery_pairs(lua_State *L, const char *q) {
  lua_newtable(L);
  lua_Integer n = 0;
  while (q && *q) {
    size_t len = strcspn(q, "&");
    const char *eq = memchr(q, '=', len);
    if (len) {
      lua_createtable(L, 2, 0);
      push_decoded(L, q, eq ? (size_t)(eq - q) : len);
      lua_rawseti(L, -2, 1);
      if (eq) push_decoded(L, eq + 1, len - (size_t)(eq - q) - 1);
      else lua_pushliteral(L, "");
      lua_rawseti(L, -2, 2);
      lua_rawseti(L, -2, ++n);
    }
    q += len;
    if (*q == '&') q++;
  }
}

static int text_is_number(lua_State *L) {
  const char *s = lua_tostring(L, -1);
  if (!*s || isspace((unsigned char)*s) || !lua_stringtonumber(L, s)) return 0;
  lua_remove(L, -2);
  return 1;
}

static int text_is_bool(lua_State *L) {
  const char *s = lua_tostring(L, -1);
  if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) return 0;
  int v = s[0] == 't';
  lua_pop(L, 1);
  lua_pushboolean(L, v);
  return 1;
}

/* 1 when the text at the top reads as t (converted in place), 0 when it does not. */
static int convert(lua_State *L, const fws_ct *t, int depth) {
  t = strip(t);
  if (!t) return 1;
  switch (t->op) {
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64:
    return text_is_number(L);
  case FWS_OP_DOUBLE:
    /* "1" is what String(1.0) writes: a double reads back as a float */
    if (!text_is_number(L)) return 0;
    if (lua_isinteger(L, -1)) {
      lua_pushnumber(L, (lua_Number)lua_tointeger(L, -1));
      lua_remove(L, -2);
    }
    return 1;
  case FWS_OP_BOOL: case FWS_OP_LITERAL_BOOL:
    return text_is_bool(L);
  case FWS_OP_LITERAL_STRING: {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    return n == t->u.lit.len && memcmp(s, t->u.lit.s, n) == 0;
  }
  case FWS_OP_ENUM: {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    return fws_strhash_find(&t->u.en.hash, t->u.en.values, t->u.en.lens, s, n) >= 0;
  }
  case FWS_OP_UUNION:
    /* text fits every string member, so the members it can be read as (a number, a boolean) come
    ** first, in order; then the first that takes it as it is */
    if (depth >= 8) return 0;
    for (int pass = 0; pass < 2; pass++)
      for (uint32_t i = 0; i < t->u.uu.n; i++) {
        const fws_ct *m = strip(t->u.uu.choices[i].type);
        int reads = m && (m->op == FWS_OP_INT32 || m->op == FWS_OP_INT64 || m->op == FWS_OP_UINT32 ||
                          m->op == FWS_OP_UINT64 || m->op == FWS_OP_DOUBLE || m->op == FWS_OP_BOOL ||
                          m->op == FWS_OP_LITERAL_BOOL);
        if (reads == (pass == 0) && convert(L, m, depth + 1)) return 1;
      }
    return 0;
  case FWS_OP_LIST: case FWS_OP_SET: case FWS_OP_MAP: case FWS_OP_OBJECT: case FWS_OP_UNION:
    return 0;
  default:
    return 1;
  }
}

void fws_ltext_convert(lua_State *L, const fws_ct *t) { convert(L, t, 0); }

typedef struct qread {
  lua_State *L;
  const char *key;      /* the pair's name, for messages */
  char *why;
  size_t size;
} qread;

enum { Q_OK = 0, Q_ERR = -1, Q_TWICE = -2 };

static int fail(qread *q, int rc, const char *what) {
  snprintf(q->why, q->size, "query parameter '%.120s': %s", q->key, what);
  return rc;
}

/* The bracketed segment at rest ("[a[b]]..." -> "a[b]"), brackets balanced; *after past it. */
static int segment(const char *rest, const char **seg, size_t *len, const char **after) {
  int depth = 0;
  for (const char *p = rest; *p; p++) {
    if (*p == '[') depth++;
    else if (*p == ']' && --depth == 0) {
      *seg = rest + 1;
      *len = (size_t)(p - rest - 1);
      *after = p + 1;
      return 1;
    }
  }
  return 0;
}

static int scalar_op(const fws_ct *t) {
  t = strip(t);
  return t && t->op != FWS_OP_LIST && t->op != FWS_OP_SET && t->op != FWS_OP_MAP && t->op != FWS_OP_OBJECT &&
         t->op != FWS_OP_UNION && t->op != FWS_OP_UUNION && t->op != FWS_OP_UNKNOWN;
}

static int place(qread *q, int tab, int key, const fws_ct *t, const char *rest, int multi, int depth);
static int place_in_list(qread *q, int tab, int key, const fws_ct *elem, const char *rest, int depth);

/* The list (or set) member of an undiscriminated union, if it has one. */
static const fws_ct *list_member(const fws_ct *t) {
  t = strip(t);
  for (uint32_t i = 0; t && t->op == FWS_OP_UUNION && i < t->u.uu.n; i++) {
    const fws_ct *m = strip(t->u.uu.choices[i].type);
    if (m && (m->op == FWS_OP_LIST || m->op == FWS_OP_SET)) return m;
  }
  return NULL;
}

/* place, where a value given twice becomes a list when it is untyped or its type is a union with
** a list member (Deepgram's keyterm, string | list<string>: the SDK repeats the key for a list). */
static int place_untyped_repeats(qread *q, int tab, int key, const fws_ct *t, const char *rest, int depth) {
  lua_State *L = q->L;
  int text = lua_gettop(L);
  lua_pushvalue(L, text);
  int rc = place(q, tab, key, t, rest, 0, depth);
  const fws_ct *lm = *rest ? NULL : list_member(t);
  if (rc == Q_TWICE && (!strip(t) || strip(t)->op == FWS_OP_UNKNOWN || lm)) {
    q->why[0] = '\0';
    lua_pushvalue(L, text);
    rc = place_in_list(q, tab, key, lm ? lm->u.elem : NULL, rest, depth);
  }
  lua_settop(L, text - 1);
  return rc;
}

/* tab[key] is a list (of elem): the text at the top goes into it at the place rest names. */
static int place_in_list(qread *q, int tab, int key, const fws_ct *elem, const char *rest, int depth) {
  lua_State *L = q->L;
  int text = lua_gettop(L);
  lua_pushvalue(L, key);
  int have = lua_rawget(L, tab);
  if (have == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, tab);
  } else if (have != LUA_TTABLE) {
    /* a value given once, then more: it becomes the list's first element (untyped repeats) */
    lua_createtable(L, 2, 0);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, tab);
  }
  int list = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  const char *seg, *after;
  size_t len;
  lua_Integer at = n + 1;
  int rc;
  if (*rest && segment(rest, &seg, &len, &after) && strspn(seg, "0123456789") == len) {
    /* [] or [i] (qs "indices"): the element it names, in order */
    if (len) {
      char num[24];
      snprintf(num, sizeof num, "%.*s", (int)(len < 20 ? len : 20), seg);
      at = (lua_Integer)strtoll(num, NULL, 10) + 1;
      if (len > 18 || at > n + 1) return fail(q, Q_ERR, "a list index is out of order (they count from 0 up)");
    }
    lua_pushinteger(L, at);
    lua_pushvalue(L, text);
    rc = place(q, list, lua_gettop(L) - 1, elem, after, 0, depth + 1);
  } else if (*rest && n > 0) {
    /* a list of objects in the repeat form: the last element, or a new one once it has this part */
    lua_pushinteger(L, n);
    lua_pushvalue(L, text);
    rc = place(q, list, lua_gettop(L) - 1, elem, rest, 0, depth + 1);
    if (rc == Q_TWICE) {
      q->why[0] = '\0';
      lua_settop(L, list);
      lua_pushinteger(L, n + 1);
      lua_pushvalue(L, text);
      rc = place(q, list, lua_gettop(L) - 1, elem, rest, 0, depth + 1);
    }
  } else {
    lua_pushinteger(L, at);
    lua_pushvalue(L, text);
    rc = place(q, list, lua_gettop(L) - 1, elem, rest, 0, depth + 1);
  }
  lua_settop(L, text - 1);
  return rc;
}

/* Puts the text at the top (popped) at tab[key] and the path rest below it ("[a][b]"), as t. */
static int place(qread *q, int tab, int key, const fws_ct *t, const char *rest, int multi, int depth) {
  lua_State *L = q->L;
  int text = lua_gettop(L);
  if (depth > FWS_QUERY_DEPTH) return fail(q, Q_ERR, "nests too deeply");
  luaL_checkstack(L, 12, "query");
  t = strip(t);
  int op = t ? (int)t->op : FWS_OP_UNKNOWN;
  if (multi || op == FWS_OP_LIST || op == FWS_OP_SET) {
    int rc = place_in_list(q, tab, key, multi ? t : t->u.elem, rest, depth);
    lua_settop(L, text - 1);
    return rc;
  }
  if (!*rest) {
    lua_pushvalue(L, key);
    int have = lua_rawget(L, tab);
    lua_pop(L, 1);
    if (have != LUA_TNIL) {
      lua_settop(L, text - 1);
      /* untyped: a repeated key is a list */
      if (!t || op == FWS_OP_UNKNOWN) return Q_TWICE;
      return fail(q, Q_TWICE, "is given more than once");
    }
    if ((op == FWS_OP_OBJECT || op == FWS_OP_MAP) && lua_rawlen(L, text) == 0) {
      lua_pop(L, 1);
      lua_newtable(L); /* name= alone: an empty object */
    } else {
      convert(L, t, 0);
    }
    lua_pushvalue(L, key);
    lua_insert(L, -2);
    lua_rawset(L, tab);
    return Q_OK;
  }
  if (*rest != '[') return fail(q, Q_ERR, "unexpected text after ']'");
  if (scalar_op(t)) {
    char what[120];
    snprintf(what, sizeof what, "a %s has no parts", t->label ? t->label : "scalar");
    return fail(q, Q_ERR, what);
  }
  /* the container at tab[key] */
  lua_pushvalue(L, key);
  int have = lua_rawget(L, tab);
  if (have == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, tab);
  } else if (have != LUA_TTABLE) {
    return fail(q, Q_ERR, "is given both as a value and with [parts]");
  }
  int sub = lua_gettop(L);
  const char *seg, *after;
  size_t len;
  const fws_ct *below = NULL;
  if (op == FWS_OP_OBJECT) {
    /* a property name is matched whole: the longest that rest starts with, as [name] */
    int32_t best = -1;
    size_t rl = strlen(rest);
    for (uint32_t i = 0; i < t->u.obj.n; i++) {
      const fws_cprop *p = &t->u.obj.props[i];
      if (rl >= p->len + 2 && rest[p->len + 1] == ']' && memcmp(rest + 1, p->name, p->len) == 0 &&
          (best < 0 || p->len > t->u.obj.props[best].len))
        best = (int32_t)i;
    }
    if (best >= 0) {
      const fws_cprop *p = &t->u.obj.props[best];
      lua_pushlstring(L, p->name, p->len);
      below = p->type;
      after = rest + p->len + 2;
      goto down;
    }
  } else if (op == FWS_OP_MAP) {
    below = t->u.map.value;
    const fws_ct *vt = strip(below);
    size_t rl = strlen(rest);
    int leaf = scalar_op(vt) || (vt && (vt->op == FWS_OP_LIST || vt->op == FWS_OP_SET) && scalar_op(vt->u.elem));
    if (leaf && rl >= 2 && rest[rl - 1] == ']') {
      /* a map of scalars: the key is everything up to the last ']' (keys may hold brackets) */
      lua_pushlstring(L, rest + 1, rl - 2);
      after = rest + rl;
      goto down;
    }
  }
  if (!segment(rest, &seg, &len, &after)) return fail(q, Q_ERR, "unbalanced '['");
  lua_pushlstring(L, seg, len);
  /* an unknown property is placed as text: the type check names it */
down: {
    int k = lua_gettop(L);
    lua_pushvalue(L, text);
    int rc = place_untyped_repeats(q, sub, k, below, after, depth + 1);
    lua_settop(L, text - 1);
    return rc;
  }
}

int fws_lquery_read(lua_State *L, int pairs, const char *name, const fws_ct *t, int multi, char *why,
                    size_t size) {
  pairs = lua_absindex(L, pairs);
  size_t nl = strlen(name);
  qread q = {L, name, why, size};
  why[0] = '\0';
  lua_newtable(L);
  int out = lua_gettop(L);
  lua_pushstring(L, name);
  int key = out + 1;
  lua_Integer n = (lua_Integer)lua_rawlen(L, pairs);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, pairs, i);
    lua_rawgeti(L, -1, 1);
    size_t kl;
    const char *k = lua_tolstring(L, -1, &kl);
    if (kl >= nl && memcmp(k, name, nl) == 0 && (kl == nl || k[nl] == '[')) {
      q.key = k;
      lua_rawgeti(L, -2, 2);
      int rc = multi ? place(&q, out, key, t, k + nl, 1, 0) : place_untyped_repeats(&q, out, key, t, k + nl, 0);
      if (rc == Q_TWICE && !why[0]) fail(&q, rc, "is given more than once");
      if (rc != Q_OK) {
        lua_settop(L, out - 1);
        return -1;
      }
    }
    lua_settop(L, key);
  }
  lua_rawget(L, out);
  lua_remove(L, out);
  return 0;
}
