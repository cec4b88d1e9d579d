/* Servers: channel:serve. The handshake is matched against the channel's path and its query
** parameters and headers are typed from the definition before Lua sees them; srv:on("connect")
** may refuse it. Each accepted peer is a connection object that sends server messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lua/fws_lcodec.h"
#include "lua/fws_lconn.h"
#include "lua/fws_lhandshake.h"
#include "lua/fws_lquery.h"
#include "lua/fws_lopts.h"
#include "lua/fws_lserver.h"

enum { SUV_ON = 1, SUV_SUBS, SUV_CHANNEL, SUV_PEERS, SUV_COUNT = 4 };

static fws_lserver *check_server(lua_State *L, int idx) {
  return fws_lcheck(L, idx, &fws_key_server, sizeof(fws_lserver), FWS_SERVER_MT);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Pushes the percent-decoded text ('+' as space in a query). */
static void push_decoded(lua_State *L, const char *s, size_t n, int plus) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      luaL_addchar(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else if (plus && s[i] == '+') {
      luaL_addchar(&b, ' ');
    } else {
      luaL_addchar(&b, s[i]);
    }
  }
  luaL_pushresult(&b);
}

static const fws_ct *elem_of(const fws_ct *t) {
  while (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE) t = t->u.elem;
  return (t->op == FWS_OP_LIST || t->op == FWS_OP_SET) ? t->u.elem : NULL;
}

static const fws_ct *object_of(const fws_ct *t) {
  while (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE) t = t->u.elem;
  return (t->op == FWS_OP_OBJECT || t->op == FWS_OP_MAP) ? t : NULL;
}

/* 0 when the value at idx checks as t; else a reason in buf (never the value). */
static int type_problem(lua_State *L, fws_lapi *a, int idx, const fws_ct *t, const char *what, char *buf,
                        size_t size) {
  fws_verrs errs = {0};
  a->codec.out.len = 0;
  a->codec.out.failed = 0;
  int rc = fws_encode(L, &a->codec, idx, t, 0, &errs);
  if (rc) {
    const char *path = errs.n ? errs.items[0].path : "";
    const char *msg = errs.n ? errs.items[0].message : "invalid";
    if (errs.n && strchr(msg, ':') && path[0]) msg = strchr(msg, ':') + 2;
    if (errs.n && strchr(msg, '\'')) {
      /* a message quoting the value ('x' is not one of ...) is not sent back: it may be a key */
      snprintf(buf, size, "%s%s%s: expected %s, got %s", what, path[0] ? "." : "", path, errs.items[0].expected,
               errs.items[0].got);
    } else {
      snprintf(buf, size, "%s%s%s: %s", what, path[0] ? "." : "", path, msg);
    }
  }
  fws_verrs_free(&errs);
  return rc;
}

/* An absent parameter whose type is a container reads as an empty one, when that fits: the SDKs
** (and fernws) leave an empty object or list out of the query. 0 with it pushed, else -1. */
static int empty_container(lua_State *L, fws_lserver *S, const fws_ct *t) {
  if (!object_of(t) && !elem_of(t)) return -1;
  char ignore[8];
  lua_newtable(L);
  if (type_problem(L, S->api, lua_gettop(L), t, "", ignore, sizeof ignore) == 0) return 0;
  lua_pop(L, 1);
  return -1;
}

/* req.query: each declared parameter read from the query string as its type (lists from
** repeated keys, objects and maps from a[b][c]=v at any depth, see fws_lquery.c). */
static int typed_query(lua_State *L, fws_lserver *S, const char *query, char *why, size_t size) {
  const fws_channel *ch = S->ch;
  const fws_cchannel *cc = S->cc;
  fws_lquery_pairs(L, query);
  int pairs = lua_gettop(L);
  lua_newtable(L);
  int out = pairs + 1;
  for (size_t i = 0; i < ch->nquery; i++) {
    const fws_param *p = &ch->query[i];
    const fws_ct *t = cc->query[i];
    int multi = p->allow_multiple && !elem_of(t);
    char what[160];
    snprintf(what, sizeof what, "query parameter '%s'", p->name);
    if (fws_lquery_read(L, pairs, p->name, t, multi, why, size)) return -1;
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      if (!p->required) continue;
      if (empty_container(L, S, t)) {
        snprintf(why, size, "%s is required", what);
        return -1;
      }
    } else if (multi) {
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
      for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, -1, k);
        if (type_problem(L, S->api, lua_gettop(L), t, what, why, size)) return -1;
        lua_pop(L, 1);
      }
      if (n == 1) {
        /* one value of a repeatable parameter reads as that value */
        lua_rawgeti(L, -1, 1);
        lua_remove(L, -2);
      }
    } else if (type_problem(L, S->api, lua_gettop(L), t, what, why, size)) {
      return -1;
    }
    lua_setfield(L, out, p->name);
  }
  lua_remove(L, pairs);
  return 0;
}

/* req.path from the channel's path template ({name} segments typed), or -1 when it does not match. */
static int typed_path(lua_State *L, fws_lserver *S, const char *base, const char *path, size_t plen, char *why,
                      size_t size) {
  const fws_channel *ch = S->ch;
  lua_newtable(L);
  const char *t = ch->path, *p = path, *pend = path + plen;
  size_t bl = strlen(base);
  if (bl) {
    if (plen < bl || strncmp(path, base, bl) != 0) return -1;
    p += bl;
  }
  while (*t) {
    if (*t == '{') {
      const char *close = strchr(t, '}');
      const char *vend = p;
      char next = close[1];
      while (vend < pend && *vend != '/' && *vend != next) vend++;
      if (vend == p) return -1;
      char name[128];
      snprintf(name, sizeof name, "%.*s", (int)(close - t - 1), t + 1);
      push_decoded(L, p, (size_t)(vend - p), 0);
      for (size_t i = 0; i < ch->npath_params; i++)
        if (strcmp(ch->path_params[i].name, name) == 0) {
          fws_ltext_convert(L, S->cc->path_params[i]);
          char what[160];
          snprintf(what, sizeof what, "path parameter '%s'", name);
          if (type_problem(L, S->api, lua_gettop(L), S->cc->path_params[i], what, why, size)) return -2;
        }
      lua_setfield(L, -2, name);
      t = close + 1;
      p = vend;
    } else {
      if (p >= pend || *p != *t) return -1;
      p++;
      t++;
    }
  }
  /* a trailing slash is the same place */
  if (p < pend && !(p + 1 == pend && *p == '/')) return -1;
  return 0;
}

static void collect_header(const char *name, const char *value, void *ud) {
  lua_State *L = ud;
  lua_pushstring(L, value);
  lua_setfield(L, -2, name);
}

/* The header text at the top as t: a list type splits at commas (HTTP's list syntax). */
static void header_value(lua_State *L, const fws_ct *t) {
  const fws_ct *elem = elem_of(t);
  if (!elem) {
    fws_ltext_convert(L, t);
    return;
  }
  const char *s = lua_tostring(L, -1);
  lua_newtable(L);
  lua_Integer n = 0;
  while (*s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strcspn(s, ",");
    size_t k = len;
    while (k && (s[k - 1] == ' ' || s[k - 1] == '\t')) k--;
    if (k || s[len] == ',') {
      lua_pushlstring(L, s, k);
      fws_ltext_convert(L, elem);
      lua_rawseti(L, -2, ++n);
    }
    s += len;
    if (*s == ',') s++;
  }
  lua_remove(L, -2);
}

/* req.headers: what lws knows by name, and every header the definition names (the channel's,
** api.yml's, the auth schemes'), typed, names in lower case. */
static int typed_headers(lua_State *L, fws_lserver *S, const fws_request *req, char *why, size_t size) {
  lua_newtable(L);
  fws_request_headers(req, collect_header, L);
  for (int pass = 0; pass < 2; pass++) {
    const fws_param *ps = pass ? S->api->api->headers : S->ch->headers;
    size_t n = pass ? S->api->api->nheaders : S->ch->nheaders;
    const fws_ct **cts = pass ? S->api->schema->api_headers : S->cc->headers;
    for (size_t i = 0; i < n; i++) {
      const fws_param *p = &ps[i];
      const char *v = fws_request_header(req, p->name);
      char lower[128];
      size_t k = 0;
      for (; p->name[k] && k < sizeof lower - 1; k++) lower[k] = (char)tolower((unsigned char)p->name[k]);
      lower[k] = '\0';
      if (!v) {
        /* api.yml headers are what clients send; a channel declaring its own decides */
        if (p->required && pass == 0) {
          snprintf(why, size, "header '%s' is required", p->name);
          return -1;
        }
        continue;
      }
      lua_pushstring(L, v);
      header_value(L, cts[i]);
      char what[160];
      snprintf(what, sizeof what, "header '%s'", p->name);
      if (type_problem(L, S->api, lua_gettop(L), cts[i], what, why, size)) return -1;
      lua_setfield(L, -2, lower);
    }
  }
  fws_lhandshake_scheme_headers(L, S->api, req, lua_gettop(L));
  return 0;
}

static void push_peers_table(lua_State *L, fws_lserver *S) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, S->state->refs);
  lua_rawgetp(L, -1, S);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) return;
  lua_getiuservalue(L, -1, SUV_PEERS);
  lua_remove(L, -2);
}

typedef struct accept_call {
  fws_lserver *S;
  fws_conn *peer;
  const fws_request *req;
  fws_accept *out;
  fws_lconn *c;         /* the peer's Lua object once made */
} accept_call;

/* The connect handler's answer, read without raising: false [, status] [, reason] refuses (a
** reason alone may come second); anything else accepts. Returns 1 when refused. */
static int refused(lua_State *L, int base, fws_lserver *S, fws_accept *out) {
  if (!(lua_type(L, base + 1) == LUA_TBOOLEAN && !lua_toboolean(L, base + 1))) return 0;
  int isnum, rpos = base + 3;
  lua_Integer st = lua_tointegerx(L, base + 2, &isnum);
  if (lua_type(L, base + 2) != LUA_TNUMBER) {
    isnum = 0;
    if (lua_type(L, base + 2) == LUA_TSTRING) rpos = base + 2;
  }
  out->status = isnum && st >= 400 && st <= 599 ? (int)st : 403;
  snprintf(S->why, sizeof S->why, "%s", lua_type(L, rpos) == LUA_TSTRING ? lua_tostring(L, rpos) : "refused");
  return 1;
}

/* The handshake in Lua (under fws_lstate_protect: this runs inside lws_service). */
static int accept_body(lua_State *L) {
  accept_call *a = lua_touserdata(L, 1);
  fws_lserver *S = a->S;
  fws_conn *peer = a->peer;
  const fws_request *req = a->req;
  fws_accept *out = a->out;
  luaL_checkstack(L, 32, "fernws");
  lua_rawgeti(L, LUA_REGISTRYINDEX, S->state->refs);
  lua_rawgetp(L, -1, S);
  int self = lua_gettop(L);
  const char *target = fws_request_target(req);
  const char *q = strchr(target, '?');
  size_t plen = q ? (size_t)(q - target) : strlen(target);
  lua_createtable(L, 0, 8);
  int reqt = lua_gettop(L);
  lua_pushstring(L, target);
  lua_setfield(L, reqt, "target");
  if (fws_request_subprotocols(req)) {
    lua_pushstring(L, fws_request_subprotocols(req));
    lua_setfield(L, reqt, "subprotocols");
  }
  lua_pushstring(L, fws_conn_peer(peer));
  lua_setfield(L, reqt, "peer");
  int rc = typed_path(L, S, S->base, target, plen, S->why, sizeof S->why);
  for (int i = 0; rc == -1 && i < S->nmore; i++) {
    lua_pop(L, 1);
    rc = typed_path(L, S, S->more_bases[i], target, plen, S->why, sizeof S->why);
  }
  if (rc) {
    if (rc == -1) {
      /* every path it serves, as far as the reason's room goes */
      int at = snprintf(S->why, sizeof S->why, "no channel at this path (this server serves %.100s%.100s", S->base,
                        S->ch->path);
      for (int i = 0; i < S->nmore && at > 0 && (size_t)at < sizeof S->why; i++)
        at += snprintf(S->why + at, sizeof S->why - (size_t)at, ", %s%s", S->more_bases[i], S->ch->path);
      if (at > 0 && (size_t)at < sizeof S->why - 1) snprintf(S->why + at, sizeof S->why - (size_t)at, ")");
    }
    out->status = rc == -1 ? 404 : 400;
    return 0;
  }
  lua_setfield(L, reqt, "path");
  if (typed_query(L, S, q ? q + 1 : NULL, S->why, sizeof S->why) ||
      (lua_setfield(L, reqt, "query"), typed_headers(L, S, req, S->why, sizeof S->why))) {
    out->status = 400;
    return 0;
  }
  lua_setfield(L, reqt, "headers");
  fws_lhandshake_auth(L, S->api, S->ch, req);
  lua_setfield(L, reqt, "auth");

  /* the peer object exists before Lua decides, so the connect handler can keep it */
  lua_getiuservalue(L, self, SUV_CHANNEL);
  fws_lconn *c = fws_lconn_new_peer(L, S->state, -1, peer);
  a->c = c;
  int pidx = lua_gettop(L);
  lua_pushvalue(L, self);
  lua_setiuservalue(L, pidx, 5);
  lua_getiuservalue(L, self, SUV_ON);
  if (lua_getfield(L, -1, "connect") == LUA_TFUNCTION) {
    lua_pushvalue(L, pidx);
    lua_pushvalue(L, reqt);
    lua_pushvalue(L, self);
    /* protected like every callback, but its answer matters */
    int base = lua_gettop(L) - 4;
    if (fws_lstate_pcall(S->state, 3, 3)) {
      snprintf(S->why, sizeof S->why, "the server's connect handler failed");
      out->status = 500;
      return 0;
    }
    if (refused(L, base, S, out)) return 0;
  }
  if (c->closed || S->closed) {
    /* the handler closed the peer, or the server */
    snprintf(S->why, sizeof S->why, "%s", S->closed ? "server closing" : "refused");
    out->status = S->closed ? 503 : 403;
    return 0;
  }
  push_peers_table(L, S);
  lua_pushvalue(L, pidx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  /* the answer last: every Lua step that could fail is behind */
  out->cb = fws_lconn_event;
  out->user = c;
  const char *offered = fws_request_subprotocols(req);
  if (offered && S->answer_first) {
    size_t n = strcspn(offered, ", ");
    snprintf(S->answer, sizeof S->answer, "%.*s", (int)(n < sizeof S->answer ? n : sizeof S->answer - 1), offered);
    out->subprotocol = S->answer;
  }
  return 0;
}

/* srv:on("refused", fn(info, srv)): each refused handshake with its status, reason, path (the
** query left out: it may hold a key) and peer address, for logs. Under fws_lstate_protect. */
static int refused_body(lua_State *L) {
  accept_call *a = lua_touserdata(L, 1);
  fws_lserver *S = a->S;
  lua_rawgeti(L, LUA_REGISTRYINDEX, S->state->refs);
  if (lua_rawgetp(L, -1, S) != LUA_TUSERDATA) return 0;
  int self = lua_gettop(L);
  lua_getiuservalue(L, self, SUV_ON);
  if (lua_getfield(L, -1, "refused") != LUA_TFUNCTION) return 0;
  const char *target = fws_request_target(a->req);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, a->out->status);
  lua_setfield(L, -2, "status");
  lua_pushstring(L, a->out->reason ? a->out->reason : "");
  lua_setfield(L, -2, "reason");
  lua_pushlstring(L, target, strcspn(target, "?"));
  lua_setfield(L, -2, "path");
  lua_pushstring(L, fws_conn_peer(a->peer));
  lua_setfield(L, -2, "peer");
  lua_pushvalue(L, self);
  fws_lstate_call(S->state, 2);
  return 0;
}

/* A refused peer's Lua object lets go of it (the net layer frees the handle). */
static int forget_refused(lua_State *L) {
  accept_call *a = lua_touserdata(L, 1);
  fws_lstate_unpin(L, a->S->state, a->c); /* it never joined the peers: that is the last step */
  return 0;
}

static void on_accept(fws_server *srv, fws_conn *peer, const fws_request *req, fws_accept *out, void *user) {
  (void)srv;
  fws_lserver *S = user;
  if (!S->state->L || S->closed) {
    out->status = 503;
    out->reason = "server closing";
    return;
  }
  accept_call a = {S, peer, req, out, NULL};
  if (fws_lstate_protect(S->state, accept_body, &a)) {
    snprintf(S->why, sizeof S->why, "the server failed while taking the handshake");
    out->status = 500;
  }
  if (out->status) {
    out->reason = S->why;
    out->cb = NULL;
    out->user = NULL;
    out->subprotocol = NULL;
    if (a.c) {
      /* the net layer frees a refused peer: the Lua object must not keep it */
      a.c->conn = NULL;
      a.c->closed = 1;
      fws_lstate_protect(S->state, forget_refused, &a);
    }
    if (S->state->L && !S->closed) fws_lstate_protect(S->state, refused_body, &a);
  }
}

/* ---- Lua methods ---- */

int fws_lserver_serve(lua_State *L) {
  fws_lchannel *ch = fws_lchannel_check(L, 1);
  if (lua_isnoneornil(L, 2)) lua_newtable(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  fws_lopts_serve(L, 2);
  lua_settop(L, 2);
  fws_lstate *s = fws_lstate_get(L);
  fws_server_opts o;
  memset(&o, 0, sizeof o);
  lua_getfield(L, 2, "host");
  o.host = luaL_optstring(L, -1, "127.0.0.1");
  lua_getfield(L, 2, "port");
  o.port = (int)luaL_optinteger(L, -1, 0);
  if (lua_getfield(L, 2, "tls") == LUA_TTABLE) {
    lua_getfield(L, -1, "cert");
    o.cert_file = lua_tostring(L, -1);
    lua_getfield(L, -2, "key");
    o.key_file = lua_tostring(L, -1);
    if (!o.cert_file || !o.key_file) return luaL_error(L, "tls needs cert and key (PEM files)");
  }
  lua_getfield(L, 2, "max_message_size");
  o.max_message_size = (size_t)luaL_optinteger(L, -1, 0);
  lua_getfield(L, 2, "ping_interval");
  o.ping_interval = luaL_optnumber(L, -1, 0);
  lua_getfield(L, 2, "ping_timeout");
  o.ping_timeout = luaL_optnumber(L, -1, 0);
  /* a peer's messages all pass through its queue: it holds one at least */
  o.peer_queue_limit = fws_lstate_opt_queue(L, 2, FWS_QUEUE_DEFAULT);
  if (o.peer_queue_limit == 0) return luaL_error(L, "a server's queue must be 1 or more (or true)");
  lua_getfield(L, 2, "queue_bytes");
  o.peer_queue_bytes = (size_t)luaL_optinteger(L, -1, 0);
  lua_getfield(L, 2, "queue_total");
  o.queue_total = (size_t)luaL_optinteger(L, -1, 0);
  lua_getfield(L, 2, "max_peers");
  o.max_peers = (int)luaL_optinteger(L, -1, 0);
  lua_getfield(L, 2, "assembly_total");
  o.assembly_total = (size_t)luaL_optinteger(L, -1, 0);
  o.message_timeout = fws_lconn_opt_timeout(L, 2, "message_timeout");
  o.handshake_timeout = fws_lconn_opt_timeout(L, 2, "handshake_timeout");
  if (o.handshake_timeout < 0) return luaL_error(L, "handshake_timeout must be a positive number of seconds");
  /* base: a prefix, or a list of them (the first is srv.url's) */
  const char *base = "";
  const char *more[4];
  int nmore = 0;
  if (lua_getfield(L, 2, "base") == LUA_TTABLE) {
    int bt = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, bt);
    if (n < 1 || n > 5) return luaL_error(L, "base: a list of one to five path prefixes");
    for (lua_Integer i = 1; i <= n; i++) {
      /* the strings stay alive in the options table */
      if (lua_rawgeti(L, bt, i) != LUA_TSTRING) return luaL_error(L, "base[%d] must be a string", (int)i);
      if (i == 1) base = lua_tostring(L, -1);
      else more[nmore++] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  } else {
    base = luaL_optstring(L, -1, "");
  }
  lua_getfield(L, 2, "strict");
  int strict = lua_toboolean(L, -1);
  lua_getfield(L, 2, "subprotocol");
  int answer_first = !(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1));

  fws_lserver *S = lua_newuserdatauv(L, sizeof *S, SUV_COUNT);
  memset(S, 0, sizeof *S);
  S->tag = &fws_key_server;
  S->closed = 1;
  S->state = s;
  S->api = ch->owner;
  S->ch = ch->ch;
  S->cc = &ch->owner->schema->channels[ch->index];
  S->chan = ch;
  S->strict = strict;
  S->answer_first = answer_first;
  snprintf(S->base, sizeof S->base, "%s", base);
  size_t bl = strlen(S->base);
  while (bl && S->base[bl - 1] == '/') S->base[--bl] = '\0';
  for (int i = 0; i < nmore; i++) {
    char *mb = S->more_bases[S->nmore++];
    snprintf(mb, sizeof S->more_bases[0], "%s", more[i]);
    for (size_t ml = strlen(mb); ml && mb[ml - 1] == '/';) mb[--ml] = '\0';
  }
  luaL_setmetatable(L, FWS_SERVER_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, SUV_ON);
  lua_newtable(L);
  lua_setiuservalue(L, -2, SUV_SUBS);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, SUV_CHANNEL);
  lua_newtable(L);
  lua_setiuservalue(L, -2, SUV_PEERS);
  char err[512];
  S->srv = fws_server_listen(s->loop, &o, on_accept, S, err, sizeof err);
  if (!S->srv) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot serve on %s:%d: %s", o.host, o.port, err);
    return 2;
  }
  S->closed = 0;
  snprintf(S->host, sizeof S->host, "%s", o.host);
  S->tls = o.cert_file != NULL;
  fws_lstate_pin(L, s, -1);
  return 1;
}

/* Every peer's Lua object: marked closed (the net layer closes them, no callbacks). */
static void forget_peers(lua_State *L, fws_lserver *S, int self) {
  lua_getiuservalue(L, self, SUV_PEERS);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    fws_lconn *c = lua_touserdata(L, -1);
    if (c && !c->closed) fws_lconn_shutdown(L, c, 1001, "", 0);
  }
  lua_pop(L, 1);
}

static int srv_close(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  if (S->closed || !S->state->loop) {
    S->closed = 1;
    return 0;
  }
  forget_peers(L, S, 1);
  fws_server_close(S->srv);
  S->closed = 1;
  fws_lstate_unpin(L, S->state, S);
  return 0;
}

static int srv_gc(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  if (S->srv && S->state->loop) fws_server_release(S->srv);
  S->srv = NULL;
  S->closed = 1;
  return 0;
}

static int srv_tbc(lua_State *L) {
  srv_close(L);
  return srv_gc(L);
}

static int srv_on(lua_State *L) {
  static const char *const events[] = {"connect", "open", "close", "error", "dropped", "binary", "pong", "refused",
                                       NULL};
  check_server(L, 1);
  return fws_lcodec_set_handler(L, SUV_ON, events);
}

static int srv_subscribe(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  return fws_lcodec_set_subscription(L, SUV_SUBS, S->chan, FWS_ORIGIN_CLIENT);
}

/* srv:publish(id, body): encoded once, sent to every open peer; returns how many took it. */
static int srv_publish(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  const fws_cmessage *m = fws_lcodec_sendable(L, S->chan, 2, FWS_ORIGIN_SERVER);
  luaL_checkany(L, 3);
  fws_lcodec_encode(L, &S->api->codec, 3, m->type, "invalid '%s' message", m->id);
  lua_Integer sent = 0;
  lua_getiuservalue(L, 1, SUV_PEERS);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    fws_lconn *c = lua_touserdata(L, -1);
    if (c && !c->closed && c->conn && fws_conn_get_state(c->conn) == FWS_CONN_OPEN &&
        fws_conn_send(c->conn, 0, S->api->codec.out.data, S->api->codec.out.len) == FWS_SEND_OK)
      sent++;
  }
  lua_pushinteger(L, sent);
  return 1;
}

static int srv_peers(lua_State *L) {
  check_server(L, 1);
  lua_newtable(L);
  lua_getiuservalue(L, 1, SUV_PEERS);
  lua_pushnil(L);
  lua_Integer n = 0;
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    fws_lconn *c = lua_touserdata(L, -1);
    if (c && !c->closed) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, -4, ++n);
    }
  }
  lua_pop(L, 1);
  return 1;
}

static int srv_index(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "port") == 0) {
    if (S->srv && !S->closed) lua_pushinteger(L, fws_server_port(S->srv));
    else lua_pushnil(L);
  } else if (strcmp(k, "url") == 0) {
    if (S->srv && !S->closed)
      lua_pushfstring(L, "%s://%s%s%s:%d%s", S->tls ? "wss" : "ws", strchr(S->host, ':') ? "[" : "", S->host,
                      strchr(S->host, ':') ? "]" : "", fws_server_port(S->srv), S->base);
    else lua_pushnil(L);
  } else if (strcmp(k, "channel") == 0) {
    lua_getiuservalue(L, 1, SUV_CHANNEL);
  } else if (strcmp(k, "state") == 0) {
    /* the values of a connection's state: a server is open (listening) or closed */
    lua_pushstring(L, S->closed || !S->srv || !S->state->loop ? "closed" : "open");
  } else {
    lua_pushnil(L);
  }
  return 1;
}

static int srv_tostring(lua_State *L) {
  fws_lserver *S = check_server(L, 1);
  if (S->closed || !S->srv) lua_pushfstring(L, "fernws.server %s (closed)", S->ch->name);
  else lua_pushfstring(L, "fernws.server %s on %s:%d", S->ch->name, S->host, fws_server_port(S->srv));
  return 1;
}

/* For peers: the server-level handler and subscription tables (used by fws_lconn). */
void fws_lserver_push_table(lua_State *L, int srv_idx, int which) {
  lua_getiuservalue(L, srv_idx, which == 0 ? SUV_ON : SUV_SUBS);
}

void fws_lserver_forget_peer(lua_State *L, int srv_idx, int peer_idx) {
  peer_idx = lua_absindex(L, peer_idx);
  lua_getiuservalue(L, srv_idx, SUV_PEERS);
  lua_pushvalue(L, peer_idx);
  lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void fws_lserver_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", srv_gc}, {"__close", srv_tbc},
                                  {"__tostring", srv_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"on", srv_on}, {"subscribe", srv_subscribe}, {"publish", srv_publish},
                                     {"peers", srv_peers}, {"close", srv_close}, {NULL, NULL}};
  luaL_newmetatable(L, FWS_SERVER_MT);
  luaL_setfuncs(L, meta, 0);
  fws_lsetup_mt(L, &fws_key_server, methods, srv_index);
  lua_pop(L, 1);
}
