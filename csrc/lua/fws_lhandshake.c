/* The handshake of a connect: URL (environment or base URL + path with parameters), query string,
** headers and auth, each typed by the definition. Built as Lua strings in a table, so that a
** raise half-way leaks nothing; credentials never reach an error message. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defn/fws_endpoint.h"
#include "lua/fws_lhandshake.h"
#include "lua/fws_lquery.h"
#include "types/fws_numtext.h"

static const char hexdig[] = "0123456789ABCDEF";

/* Pushes s with RFC 3986 unreserved characters kept and everything else as %XX. */
static void push_encoded(lua_State *L, const char *s, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      luaL_addchar(&b, (char)c);
    } else {
      luaL_addchar(&b, '%');
      luaL_addchar(&b, hexdig[c >> 4]);
      luaL_addchar(&b, hexdig[c & 15]);
    }
  }
  luaL_pushresult(&b);
}

/* parts[#parts + 1] = the string at the top (popped) */
static void append(lua_State *L, int parts) {
  lua_rawseti(L, parts, (lua_Integer)lua_rawlen(L, parts) + 1);
}

/* Checks the value at idx against t, raising on failure with kind and name ("query parameter
** 'filter.limits.max': expected integer, got string"; name NULL: kind alone), never the value. */
static void check_typed(lua_State *L, fws_lapi *a, int idx, const fws_ct *t, const char *kind, const char *name) {
  fws_verrs errs = {0};
  a->codec.out.len = 0;
  a->codec.out.failed = 0;
  if (fws_encode(L, &a->codec, idx, t, 0, &errs) == 0) {
    fws_verrs_free(&errs);
    return;
  }
  const char *path = errs.n ? errs.items[0].path : "";
  const char *dot = path[0] ? "." : "";
  const char *expected = errs.n && errs.items[0].expected ? errs.items[0].expected : t->label;
  const char *got = errs.n ? errs.items[0].got : "?";
  char detail[400];
  if (name)
    snprintf(detail, sizeof detail, "%s '%s%s%s': expected %s, got %s", kind, name, dot, path, expected, got);
  else
    snprintf(detail, sizeof detail, "%s%s%s: expected %s, got %s", kind, dot, path, expected, got);
  fws_verrs_free(&errs);
  luaL_error(L, "%s", detail);
}

/* The text of a scalar parameter value (after it was checked). */
static void push_scalar_text(lua_State *L, int idx) {
  char tmp[64];
  switch (lua_type(L, idx)) {
  case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false"); break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) lua_pushlstring(L, tmp, fws_fmt_int((int64_t)lua_tointeger(L, idx), tmp));
    else lua_pushlstring(L, tmp, fws_fmt_double(lua_tonumber(L, idx), 0, tmp));
    break;
  default: lua_pushvalue(L, idx); lua_tostring(L, -1); break;
  }
}

/* A header's text: a list is its elements joined by ", " (HTTP's list syntax); an object has no
** header form (refused). */
static void push_header_text(lua_State *L, int idx, const char *name) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) {
    push_scalar_text(L, idx);
    return;
  }
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  lua_pushnil(L);
  if (n == 0 && lua_next(L, idx)) luaL_error(L, "header '%s': an object has no header form", name);
  lua_newtable(L);
  int texts = lua_gettop(L);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    if (lua_istable(L, -1)) luaL_error(L, "header '%s': a list of lists or objects has no header form", name);
    push_scalar_text(L, -1);
    lua_rawseti(L, texts, i);
    lua_pop(L, 1);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) luaL_addstring(&b, ", ");
    lua_rawgeti(L, texts, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  lua_remove(L, texts);
}

static int is_null(lua_State *L, int idx) {
  return lua_isnil(L, idx) || (lua_type(L, idx) == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx));
}

static const fws_param *find_param(const fws_param *ps, size_t n, const char *name, int caseless) {
  for (size_t i = 0; i < n; i++)
    if (caseless ? strcasecmp(ps[i].name, name) == 0 : strcmp(ps[i].name, name) == 0) return &ps[i];
  return NULL;
}

static int has_crlf(const char *s, size_t n) {
  return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL;
}

/* headers[#headers + 1] = {name, value} in the request table at req */
static void add_header(lua_State *L, int req, const char *name, int vidx) {
  vidx = lua_absindex(L, vidx);
  size_t vl;
  const char *v = lua_tolstring(L, vidx, &vl);
  size_t nl = strlen(name);
  if (!nl || has_crlf(name, nl) || strchr(name, ':')) luaL_error(L, "header name '%s' is not valid", name);
  if (has_crlf(v, vl)) luaL_error(L, "header '%s': a value with CR or LF is refused", name);
  lua_getfield(L, req, "headers");
  lua_createtable(L, 2, 0);
  lua_pushstring(L, name);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, vidx);
  lua_rawseti(L, -2, 2);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
}

static int header_set(lua_State *L, int req, const char *name) {
  lua_getfield(L, req, "headers");
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_rawgeti(L, -1, 1);
    int same = strcasecmp(lua_tostring(L, -1), name) == 0;
    lua_pop(L, 2);
    if (same) {
      lua_pop(L, 1);
      return 1;
    }
  }
  lua_pop(L, 1);
  return 0;
}

/* opts[field][name] (case-insensitive for headers), pushed (nil when absent). */
static void get_opt(lua_State *L, int opts, const char *field, const char *name, int caseless) {
  if (lua_getfield(L, opts, field) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  lua_getfield(L, -1, name);
  if (lua_isnil(L, -1) && caseless) {
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && strcasecmp(lua_tostring(L, -2), name) == 0) {
        lua_remove(L, -2);
        lua_remove(L, -2);
        return;
      }
      lua_pop(L, 1);
    }
    lua_pushnil(L);
  }
  lua_remove(L, -2);
}

static void push_literal_text(lua_State *L, const fws_ct *t) {
  while (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE) t = t->u.elem;
  if (t->op == FWS_OP_LITERAL_STRING) lua_pushlstring(L, t->u.lit.s, t->u.lit.len);
  else if (t->op == FWS_OP_LITERAL_BOOL) lua_pushstring(L, t->u.lit.b ? "true" : "false");
  else lua_pushnil(L);
}

static void declared_headers(lua_State *L, fws_lapi *a, int opts, int req, const fws_param *ps, size_t n,
                             const fws_ct **cts, const fws_param *over, size_t nover) {
  for (size_t i = 0; i < n; i++) {
    const fws_param *p = &ps[i];
    if (over && find_param(over, nover, p->name, 1)) continue; /* the channel's own wins */
    get_opt(L, opts, "headers", p->name, 1);
    if (lua_isnil(L, -1) && p->sdk_name) {
      lua_pop(L, 1);
      get_opt(L, opts, "headers", p->sdk_name, 0);
    }
    if (lua_isnil(L, -1) && p->env) {
      lua_pop(L, 1);
      const char *e = getenv(p->env);
      if (e) lua_pushstring(L, e);
      else lua_pushnil(L);
    }
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      push_literal_text(L, cts[i]);
    }
    if (is_null(L, -1)) {
      lua_pop(L, 1);
      if (p->required)
        luaL_error(L, "header '%s' is required%s%s%s", p->name, p->env ? " (or set $" : "", p->env ? p->env : "",
                   p->env ? ")" : "");
      continue;
    }
    check_typed(L, a, -1, cts[i], "header", p->name);
    push_header_text(L, -1, p->name);
    add_header(L, req, p->name, -1);
    lua_pop(L, 2);
  }
}

/* req.secrets[#+1] = the string at idx: a credential the net layer masks out of what the server
** says back (a server may echo it in a refusal). */
static void add_secret(lua_State *L, int req, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, req, "secrets");
  lua_pushvalue(L, idx);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
}

/* A credential: opts.auth as a string, or opts.auth[k] for each candidate key, or $env. */
static int credential(lua_State *L, int opts, const char *const *keys, const char *env) {
  int t = lua_getfield(L, opts, "auth");
  if (t == LUA_TSTRING) return 1;
  if (t == LUA_TTABLE) {
    for (; *keys; keys++) {
      if (lua_getfield(L, -1, *keys) == LUA_TSTRING) {
        lua_remove(L, -2);
        return 1;
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  const char *e = env ? getenv(env) : NULL;
  if (e) {
    lua_pushstring(L, e);
    return 1;
  }
  return 0;
}

/* Tries one scheme; 1 with its header or subprotocol added, 0 when no credential is at hand. */
static int apply_scheme(lua_State *L, fws_lapi *a, int opts, int req, const fws_auth_scheme *s, size_t si) {
  if (s->kind == FWS_AUTH_BASIC) {
    const char *ukeys[] = {"username", s->username_name ? s->username_name : "username", NULL};
    const char *pkeys[] = {"password", s->password_name ? s->password_name : "password", NULL};
    if (!credential(L, opts, ukeys, s->username_env)) return 0;
    if (!credential(L, opts, pkeys, s->password_env)) {
      lua_pop(L, 1);
      return 0;
    }
    size_t ul, pl;
    const char *u = lua_tolstring(L, -2, &ul), *p = lua_tolstring(L, -1, &pl);
    if (memchr(u, ':', ul)) luaL_error(L, "auth: a basic-auth username cannot contain ':'");
    add_secret(L, req, -1);
    /* base64 of user:pass */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = ul + 1 + pl;
    unsigned char *raw = lua_newuserdatauv(L, n + 1, 0);
    memcpy(raw, u, ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, p, pl);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "Basic ");
    for (size_t i = 0; i < n; i += 3) {
      unsigned v = (unsigned)raw[i] << 16 | (i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0) | (i + 2 < n ? raw[i + 2] : 0);
      luaL_addchar(&b, b64[(v >> 18) & 63]);
      luaL_addchar(&b, b64[(v >> 12) & 63]);
      luaL_addchar(&b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
      luaL_addchar(&b, i + 2 < n ? b64[v & 63] : '=');
    }
    luaL_pushresult(&b);
    add_header(L, req, "Authorization", -1);
    lua_pop(L, 4);
    return 1;
  }
  const char *keys[] = {"token", "value", s->sdk_name ? s->sdk_name : "token", NULL};
  if (!credential(L, opts, keys, s->env)) return 0;
  add_secret(L, req, -1);
  if (s->kind == FWS_AUTH_HEADER && si != (size_t)-1 && a->schema->scheme_types[si]) {
    char what[160];
    snprintf(what, sizeof what, "auth (%s)", s->name);
    check_typed(L, a, -1, a->schema->scheme_types[si], what, NULL);
  }
  const char *prefix = s->prefix;
  if (prefix && *prefix) lua_pushfstring(L, "%s %s", prefix, lua_tostring(L, -1));
  else lua_pushvalue(L, -1);
  if (s->query) {
    /* a key the API reads from the query (AsyncAPI httpApiKey in: query) */
    size_t vl;
    const char *v = lua_tolstring(L, -1, &vl);
    lua_getfield(L, req, "url");
    lua_pushstring(L, strchr(lua_tostring(L, -1), '?') ? "&" : "?");
    push_encoded(L, s->query, strlen(s->query));
    lua_pushliteral(L, "=");
    push_encoded(L, v, vl);
    add_secret(L, req, -1);  /* as sent, percent-encoded */
    lua_concat(L, 5);
    lua_setfield(L, req, "url");
    lua_pop(L, 1);
  } else if (strcasecmp(s->header, "Sec-WebSocket-Protocol") == 0) {
    /* some APIs (Deepgram) carry the key as the subprotocol */
    size_t vl;
    const char *v = lua_tolstring(L, -1, &vl);
    if (has_crlf(v, vl)) luaL_error(L, "auth: a value with CR or LF is refused");
    lua_setfield(L, req, "subprotocol");
    lua_pushboolean(L, 1); /* never to another origin */
    lua_setfield(L, req, "subprotocol_secret");
  } else {
    add_header(L, req, s->header, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 1;
}

static void apply_auth(lua_State *L, fws_lapi *a, const fws_channel *ch, int opts, int req) {
  const fws_api *api = a->api;
  if (!ch->auth || !api->nauth) return;
  for (size_t i = 0; i < api->nauth; i++) {
    const fws_auth_scheme *s = api->auth[i];
    /* a built-in scheme (auth: bearer without auth-schemes) has no typed value */
    int typed = s >= api->schemes && s < api->schemes + api->nschemes;
    size_t si = typed ? (size_t)(s - api->schemes) : 0;
    if (!typed && s->kind == FWS_AUTH_HEADER) continue;
    if (apply_scheme(L, a, opts, req, s, typed ? si : (size_t)-1)) return;
  }
  /* a header scheme whose value type is optional may be left out */
  for (size_t i = 0; i < api->nauth; i++) {
    const fws_auth_scheme *s = api->auth[i];
    if (s->kind == FWS_AUTH_HEADER && s >= api->schemes && s < api->schemes + api->nschemes) {
      const fws_ct *t = a->schema->scheme_types[s - api->schemes];
      if (t && t->op == FWS_OP_OPTIONAL) return;
    }
  }
  const fws_auth_scheme *s = api->auth[0];
  const char *how = s->kind == FWS_AUTH_BASIC ? "auth = {username = ..., password = ...}"
                    : s->kind == FWS_AUTH_HEADER ? "auth = {value = ...}"
                                                 : "auth = {token = ...}";
  const char *env = s->kind == FWS_AUTH_BASIC ? s->username_env : s->env;
  luaL_error(L, "channel %s needs credentials (auth scheme %s): pass %s%s%s", ch->name, s->name, how,
             env ? " or set $" : "", env ? env : "");
}

/* The path with {name} replaced by the percent-encoded, typed path parameters. */
static void build_path(lua_State *L, fws_lapi *a, const fws_channel *ch, const fws_cchannel *cc, int opts) {
  lua_newtable(L);
  int parts = lua_gettop(L);
  const char *p = ch->path;
  while (*p) {
    const char *open = strchr(p, '{');
    if (!open) {
      lua_pushstring(L, p);
      append(L, parts);
      break;
    }
    lua_pushlstring(L, p, (size_t)(open - p));
    append(L, parts);
    const char *close = strchr(open, '}');
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
    size_t idx = 0;
    const fws_param *pp = NULL;
    for (; idx < ch->npath_params; idx++)
      if (strcmp(ch->path_params[idx].name, name) == 0) {
        pp = &ch->path_params[idx];
        break;
      }
    get_opt(L, opts, "path", name, 0);
    if (is_null(L, -1)) luaL_error(L, "path parameter '%s' is required (path = {%s = ...})", name, name);
    if (pp) {
      check_typed(L, a, -1, cc->path_params[idx], "path parameter", name);
    }
    if (lua_istable(L, -1)) luaL_error(L, "path parameter '%s' must be a single value", name);
    push_scalar_text(L, -1);
    size_t vl;
    const char *v = lua_tolstring(L, -1, &vl);
    push_encoded(L, v, vl);
    append(L, parts);
    lua_pop(L, 2);
    p = close + 1;
  }
  /* path parameters the path does not use are misuse */
  if (lua_getfield(L, opts, "path") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
      char needle[140];
      snprintf(needle, sizeof needle, "{%s}", k);
      if (!strstr(ch->path, needle)) luaL_error(L, "path parameter '%s' is not in the path %s", k, ch->path);
    }
  }
  lua_pop(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_Integer n = (lua_Integer)lua_rawlen(L, parts);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, parts, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  lua_remove(L, parts);
}

/* The query string (without '?'), pushed. */
static void build_query(lua_State *L, fws_lapi *a, const fws_channel *ch, const fws_cchannel *cc, int opts) {
  lua_newtable(L);
  int parts = lua_gettop(L);
  for (size_t i = 0; i < ch->nquery; i++) {
    const fws_param *p = &ch->query[i];
    get_opt(L, opts, "query", p->name, 0);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      push_literal_text(L, cc->query[i]);
    }
    if (is_null(L, -1)) {
      lua_pop(L, 1);
      if (p->required) luaL_error(L, "query parameter '%s' is required (query = {%s = ...})", p->name, p->name);
      continue;
    }
    if (p->allow_multiple && lua_istable(L, -1) && lua_rawlen(L, -1) == 0 && !p->required) {
      /* an empty list of values: nothing to send, as the SDKs do */
      lua_pushnil(L);
      int empty = !lua_next(L, -2);
      if (!empty) lua_pop(L, 2);
      if (empty) {
        lua_pop(L, 1);
        continue;
      }
    }
    int multi = p->allow_multiple && lua_istable(L, -1) && lua_rawlen(L, -1) > 0;
    if (multi) {
      /* allow-multiple: each element is typed as the parameter */
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
      for (lua_Integer k = 1; k <= n; k++) {
        char name[160];
        snprintf(name, sizeof name, "%s[%lld]", p->name, (long long)k);
        lua_rawgeti(L, -1, k);
        check_typed(L, a, -1, cc->query[i], "query parameter", name);
        lua_pop(L, 1);
      }
    } else {
      check_typed(L, a, -1, cc->query[i], "query parameter", p->name);
    }
    fws_lquery_write(L, parts, p->name, -1, cc->query[i], multi);
    lua_pop(L, 1);
  }
  /* keys the definition does not know are misuse in query, allowed in extra_query */
  if (lua_getfield(L, opts, "query") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING || !find_param(ch->query, ch->nquery, lua_tostring(L, -1), 0)) {
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
        luaL_error(L, "query parameter '%s' is not declared by channel %s (use extra_query for it)", k, ch->name);
      }
    }
  }
  lua_pop(L, 1);
  if (lua_getfield(L, opts, "extra_query") == LUA_TTABLE) {
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "extra_query: keys must be strings");
      lua_pop(L, 1);
    }
    fws_lquery_write_keys(L, parts, t); /* sorted: the same URL every time */
  }
  lua_pop(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_Integer n = (lua_Integer)lua_rawlen(L, parts);
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '&');
    lua_rawgeti(L, parts, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  lua_remove(L, parts);
}

void fws_lhandshake_build(lua_State *L, fws_lchannel *c, int opts) {
  fws_lapi *a = c->owner;
  const fws_channel *ch = c->ch;
  const fws_cchannel *cc = &a->schema->channels[c->index];
  opts = lua_absindex(L, opts);
  lua_createtable(L, 0, 4);
  int req = lua_gettop(L);
  lua_newtable(L);
  lua_setfield(L, req, "headers");
  lua_newtable(L);
  lua_setfield(L, req, "secrets");
  /* whatever opts.auth holds is a credential, wherever it goes (a header, the query, a message) */
  int t = lua_getfield(L, opts, "auth");
  if (t == LUA_TSTRING) {
    add_secret(L, req, -1);
  } else if (t == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -1) == LUA_TSTRING) add_secret(L, req, -1);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);

  /* the base: url = ... in place of the environment's */
  char err[512];
  const char *base = NULL;
  const char *env_name = NULL;
  if (lua_getfield(L, opts, "url") == LUA_TSTRING) {
    base = lua_tostring(L, -1);
  } else {
    if (!lua_isnil(L, -1)) luaL_error(L, "url must be a string");
    if (lua_getfield(L, opts, "environment") == LUA_TSTRING) env_name = lua_tostring(L, -1);
    const fws_environment *env = fws_pick_environment(a->api, env_name, err, sizeof err);
    if (!env) luaL_error(L, "channel %s: %s", ch->name, err);
    base = fws_environment_base(a->api, env, ch, err, sizeof err);
    if (!base) luaL_error(L, "channel %s: %s", ch->name, err);
  }
  build_path(L, a, ch, cc, opts);
  size_t cap = strlen(base) + lua_rawlen(L, -1) + 16;
  char *url = lua_newuserdatauv(L, cap, 0);
  if (!fws_join_url(base, lua_tostring(L, -2), url, cap, err, sizeof err))
    luaL_error(L, "channel %s: %s", ch->name, err);
  build_query(L, a, ch, cc, opts);
  if (lua_rawlen(L, -1) > 0) lua_pushfstring(L, "%s%s%s", url, strchr(url, '?') ? "&" : "?", lua_tostring(L, -1));
  else lua_pushstring(L, url);
  lua_setfield(L, req, "url");
  lua_settop(L, req);

  /* headers: the channel's, then api.yml's, then extra ones */
  declared_headers(L, a, opts, req, ch->headers, ch->nheaders, cc->headers, NULL, 0);
  declared_headers(L, a, opts, req, a->api->headers, a->api->nheaders, a->schema->api_headers, ch->headers,
                   ch->nheaders);
  if (lua_getfield(L, opts, "headers") == LUA_TTABLE) {
    int h = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, h)) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "headers: names must be strings");
      const char *name = lua_tostring(L, -2);
      int declared = find_param(ch->headers, ch->nheaders, name, 1) || find_param(a->api->headers, a->api->nheaders, name, 1);
      for (size_t i = 0; !declared && i < a->api->nheaders; i++)
        declared = a->api->headers[i].sdk_name && strcmp(a->api->headers[i].sdk_name, name) == 0;
      if (!declared && !header_set(L, req, name)) {
        if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
          luaL_error(L, "header '%s' must be a string", name);
        add_header(L, req, name, -1);
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  apply_auth(L, a, ch, opts, req);
  if (lua_getfield(L, opts, "subprotocol") == LUA_TSTRING) {
    size_t n;
    const char *sp = lua_tolstring(L, -1, &n);
    if (has_crlf(sp, n)) luaL_error(L, "subprotocol: CR or LF is refused");
    if (lua_getfield(L, req, "subprotocol") == LUA_TSTRING) {
      lua_pushfstring(L, "%s, %s", lua_tostring(L, -2), lua_tostring(L, -1));
      lua_setfield(L, req, "subprotocol");
      lua_pop(L, 1);
    } else {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      lua_setfield(L, req, "subprotocol");
    }
  }
  lua_pop(L, 1);
  lua_settop(L, req);
}

/* ---- the server's side: the credential a request carries ---- */

/* The header a scheme's credential comes in; NULL for one carried in the query. */
static const char *scheme_header(const fws_auth_scheme *s) {
  if (s->query) return NULL;
  if (s->kind == FWS_AUTH_HEADER || (s->kind == FWS_AUTH_OAUTH && s->header)) return s->header;
  return "Authorization";
}

static int hexval(int ch) {
  return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Pushes the percent-decoded value of the query parameter `key` of the request; 0 when absent. */
static int push_query_value(lua_State *L, const fws_request *req, const char *key) {
  const char *q = strchr(fws_request_target(req), '?');
  size_t kl = strlen(key);
  while (q && *q) {
    const char *item = q + 1, *end = item + strcspn(item, "&"), *eq = memchr(item, '=', (size_t)(end - item));
    if (eq && (size_t)(eq - item) == kl && !memcmp(item, key, kl)) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (const char *p = eq + 1; p < end; p++) {
        if (*p == '%' && end - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
          luaL_addchar(&b, (char)(hexval(p[1]) * 16 + hexval(p[2])));
          p += 2;
        } else {
          luaL_addchar(&b, *p == '+' ? ' ' : *p);
        }
      }
      luaL_pushresult(&b);
      return 1;
    }
    q = *end ? end : NULL;
  }
  return 0;
}

void fws_lhandshake_scheme_headers(lua_State *L, fws_lapi *a, const fws_request *req, int headers) {
  const fws_api *api = a->api;
  headers = lua_absindex(L, headers);
  for (size_t i = 0; i < api->nschemes + api->nauth; i++) {
    const fws_auth_scheme *s = i < api->nschemes ? &api->schemes[i] : api->auth[i - api->nschemes];
    const char *name = scheme_header(s);
    char lower[128];
    size_t k = 0;
    if (!name) continue;  /* a key in the query: req.query, req.auth */
    for (; name[k] && k < sizeof lower - 1; k++) lower[k] = (char)tolower((unsigned char)name[k]);
    lower[k] = '\0';
    if (lua_getfield(L, headers, lower) != LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_pop(L, 1);
    const char *v = fws_request_header(req, name);
    if (!v) continue;
    lua_pushstring(L, v);
    lua_setfield(L, headers, lower);
  }
}

/* The offset past "prefix " in v (case-insensitive), 0 without a prefix, -1 when v lacks it. */
static int past_prefix(const char *v, const char *prefix) {
  if (!prefix || !*prefix) return 0;
  size_t n = strlen(prefix);
  if (strncasecmp(v, prefix, n) != 0 || v[n] != ' ') return -1;
  while (v[n] == ' ') n++;
  return (int)n;
}

/* The key in a Sec-WebSocket-Protocol list: after an entry equal to the prefix when the scheme has
** one; else the second entry when the first is "token" or "bearer" (Deepgram's form), else the
** first. Pushed, or nothing (0). */
static int subprotocol_key(lua_State *L, const char *list, const char *prefix) {
  const char *entries[8];
  size_t lens[8];
  int n = 0;
  for (const char *p = list; *p && n < 8;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p) break;
    size_t len = strcspn(p, ",");
    size_t k = len;
    while (k && (p[k - 1] == ' ' || p[k - 1] == '\t')) k--;
    entries[n] = p;
    lens[n++] = k;
    p += len;
  }
  int at = -1;
  if (prefix && *prefix) {
    for (int i = 0; i + 1 < n; i++)
      if (lens[i] == strlen(prefix) && strncasecmp(entries[i], prefix, lens[i]) == 0) {
        at = i + 1;
        break;
      }
  } else if (n > 0) {
    at = n > 1 && ((lens[0] == 5 && strncasecmp(entries[0], "token", 5) == 0) ||
                   (lens[0] == 6 && strncasecmp(entries[0], "bearer", 6) == 0))
             ? 1
             : 0;
  }
  if (at < 0) return 0;
  lua_pushlstring(L, entries[at], lens[at]);
  return 1;
}

static int b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Pushes base64 text decoded (padding optional), or nothing (0) when it is not base64. */
static int push_unbase64(lua_State *L, const char *s) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  unsigned acc = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    int v = b64val((unsigned char)*s);
    if (v < 0) {
      luaL_pushresult(&b);
      lua_pop(L, 1);
      return 0;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      luaL_addchar(&b, (char)((acc >> bits) & 0xff));
    }
  }
  luaL_pushresult(&b);
  return 1;
}

/* Fills the table at the top with one scheme's credential; 0 when the request has none. */
static int read_credential(lua_State *L, const fws_auth_scheme *s, const fws_request *req) {
  const char *name = scheme_header(s);
  const char *v;
  if (!name) {  /* in the query */
    if (!push_query_value(L, req, s->query)) return 0;
    lua_setfield(L, -2, "token");
    return 1;
  }
  v = fws_request_header(req, name);
  if (!v) return 0;
  if (s->kind == FWS_AUTH_BASIC) {
    int at = past_prefix(v, "Basic");
    if (at < 0 || !push_unbase64(L, v + at)) return 0;
    size_t n;
    const char *up = lua_tolstring(L, -1, &n);
    const char *colon = memchr(up, ':', n);
    if (!colon) {
      lua_pop(L, 1);
      return 0;
    }
    lua_pushlstring(L, up, (size_t)(colon - up));
    lua_setfield(L, -3, "username");
    lua_pushlstring(L, colon + 1, n - (size_t)(colon - up) - 1);
    lua_setfield(L, -3, "password");
    lua_pop(L, 1);
    return 1;
  }
  if (s->kind == FWS_AUTH_HEADER && strcasecmp(name, "Sec-WebSocket-Protocol") == 0) {
    if (!subprotocol_key(L, v, s->prefix)) return 0;
  } else {
    const char *prefix = s->kind == FWS_AUTH_HEADER ? s->prefix : s->prefix ? s->prefix : "Bearer";
    int at = past_prefix(v, prefix);
    /* a header scheme's prefix is optional on the way in; a bearer token needs its word */
    if (at < 0 && s->kind != FWS_AUTH_HEADER) return 0;
    lua_pushstring(L, v + (at < 0 ? 0 : at));
  }
  lua_setfield(L, -2, "token");
  return 1;
}

void fws_lhandshake_auth(lua_State *L, fws_lapi *a, const fws_channel *ch, const fws_request *req) {
  const fws_api *api = a->api;
  if (ch->auth)
    for (size_t i = 0; i < api->nauth; i++) {
      const fws_auth_scheme *s = api->auth[i];
      lua_createtable(L, 0, 3);
      if (read_credential(L, s, req)) {
        lua_pushstring(L, s->name);
        lua_setfield(L, -2, "scheme");
        return;
      }
      lua_pop(L, 1);
    }
  lua_pushnil(L);
}
