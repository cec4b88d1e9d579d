/* Servers: channel:serve. The handshake is matched against the channel's path and its query
** parameters and headers are typed from the definition before Lua sees them; srv:on("connect")
** may refuse it. Each accepted peer is a connection object that sends server messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lua/fws_lcodec.h"
#include "lua/fws_lconn.h"
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

/* The text at the top as the Lua value its type wants (a number, a boolean), in place. Anything
** that does not convert stays a string: the type check then says what was expected. */
static void convert_text(lua_State *L, const fws_ct *t) {
  while (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE) t = t->u.elem;
  switch (t->op) {
  case FWS_OP_INT32: case FWS_OP_INT64: case FWS_OP_UINT32: case FWS_OP_UINT64: case FWS_OP_DOUBLE: {
    const char *s = lua_tostring(L, -1);
    if (*s && !isspace((unsigned char)*s) && lua_stringtonumber(L, s)) lua_remove(L, -2);
    break;
  }
  case FWS_OP_BOOL: case FWS_OP_LITERAL_BOOL: {
    const char *s = lua_tostring(L, -1);
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
      int v = s[0] == 't';
      lua_pop(L, 1);
      lua_pushboolean(L, v);
    }
    break;
  }
  default:
    break;
  }
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
    snprintf(buf, size, "%s%s%s: %s", what, path[0] ? "." : "", path,
             errs.n ? (strchr(errs.items[0].message, ':') && path[0] ? strchr(errs.items[0].message, ':') + 2
                                                                      : errs.items[0].message)
                    : "invalid");
  }
  fws_verrs_free(&errs);
  return rc;
}

/* Splits the query string into {name = text or {texts...}} with names and values decoded. */
static void push_raw_query(lua_State *L, const char *q) {
  lua_newtable(L);
  if (!q) return;
  while (*q) {
    const char *amp = strchr(q, '&');
    size_t n = amp ? (size_t)(amp - q) : strlen(q);
    const char *eq = memchr(q, '=', n);
    if (n) {
      push_decoded(L, q, eq ? (size_t)(eq - q) : n, 1);
      if (eq) push_decoded(L, eq + 1, n - (size_t)(eq - q) - 1, 1);
      else lua_pushliteral(L, "");
      lua_pushvalue(L, -2);
      if (lua_rawget(L, -4) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_rawset(L, -3);
      } else {
        /* a repeated key: its values in a list */
        if (!lua_istable(L, -1)) {
          lua_createtable(L, 2, 0);
          lua_insert(L, -2);
          lua_rawseti(L, -2, 1);
        }
        lua_insert(L, -2);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        lua_rawset(L, -3);
      }
    }
    q += n;
    if (*q == '&') q++;
  }
}

/* req.query: each declared parameter typed (lists from repeated keys, objects from a[b]=c). */
static int typed_query(lua_State *L, fws_lserver *S, const char *query, char *why, size_t size) {
  const fws_channel *ch = S->ch;
  const fws_cchannel *cc = S->cc;
  push_raw_query(L, query);
  int raw = lua_gettop(L);
  lua_newtable(L);
  int out = raw + 1;
  for (size_t i = 0; i < ch->nquery; i++) {
    const fws_param *p = &ch->query[i];
    const fws_ct *t = cc->query[i];
    const fws_ct *elem = elem_of(t);
    const fws_ct *obj = object_of(t);
    char what[160];
    snprintf(what, sizeof what, "query parameter '%s'", p->name);
    if (obj) {
      /* a[b]=c pairs into a table, values typed by the object's properties */
      lua_newtable(L);
      int any = 0;
      size_t nl = strlen(p->name);
      lua_pushnil(L);
      while (lua_next(L, raw)) {
        const char *k = lua_tostring(L, -2);
        if (strncmp(k, p->name, nl) == 0 && k[nl] == '[' && k[strlen(k) - 1] == ']') {
          lua_pushlstring(L, k + nl + 1, strlen(k) - nl - 2);
          lua_pushvalue(L, -2);
          if (lua_istable(L, -1)) {
            lua_rawgeti(L, -1, 1);
            lua_remove(L, -2);
          }
          if (obj->op == FWS_OP_OBJECT) {
            int32_t pi = fws_prop_find(obj, lua_tostring(L, -2), lua_rawlen(L, -2));
            if (pi >= 0) convert_text(L, obj->u.obj.props[pi].type);
          } else {
            convert_text(L, obj->u.map.value);
          }
          lua_rawset(L, -5);
          any = 1;
        }
        lua_pop(L, 1);
      }
      if (!any) {
        lua_pop(L, 1);
        lua_pushnil(L);
      }
    } else {
      lua_getfield(L, raw, p->name);
      if (!lua_isnil(L, -1)) {
        if (elem || p->allow_multiple) {
          if (!lua_istable(L, -1)) {
            lua_createtable(L, 1, 0);
            lua_insert(L, -2);
            lua_rawseti(L, -2, 1);
          }
          lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
          for (lua_Integer k = 1; k <= n; k++) {
            lua_rawgeti(L, -1, k);
            convert_text(L, elem ? elem : t);
            lua_rawseti(L, -2, k);
          }
        } else {
          if (lua_istable(L, -1)) {
            snprintf(why, size, "%s is given more than once", what);
            return -1;
          }
          convert_text(L, t);
        }
      }
    }
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      if (p->required) {
        snprintf(why, size, "%s is required", what);
        return -1;
      }
      continue;
    }
    if (p->allow_multiple && !elem) {
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
  lua_remove(L, raw);
  return 0;
}

/* req.path from the channel's path template ({name} segments typed), or -1 when it does not match. */
static int typed_path(lua_State *L, fws_lserver *S, const char *path, size_t plen, char *why, size_t size) {
  const fws_channel *ch = S->ch;
  lua_newtable(L);
  const char *t = ch->path, *p = path, *pend = path + plen;
  size_t bl = strlen(S->base);
  if (bl) {
    if (plen < bl || strncmp(path, S->base, bl) != 0) return -1;
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
          convert_text(L, S->cc->path_params[i]);
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

/* req.headers: what lws knows by name, and the definition's headers typed, names in lower case. */
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
      convert_text(L, cts[i]);
      char what[160];
      snprintf(what, sizeof what, "header '%s'", p->name);
      if (type_problem(L, S->api, lua_gettop(L), cts[i], what, why, size)) return -1;
      lua_setfield(L, -2, lower);
    }
  }
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
  int rc = typed_path(L, S, target, plen, S->why, sizeof S->why);
  if (rc) {
    if (rc == -1)
      snprintf(S->why, sizeof S->why, "no channel at this path (this server serves %.100s%.150s)", S->base,
               S->ch->path);
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
  }
}

/* ---- Lua methods ---- */

int fws_lserver_serve(lua_State *L) {
  fws_lchannel *ch = fws_lchannel_check(L, 1);
  if (lua_isnoneornil(L, 2)) lua_newtable(L);
  luaL_checktype(L, 2, LUA_TTABLE);
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
  lua_getfield(L, 2, "base");
  const char *base = luaL_optstring(L, -1, "");
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
  static const char *const events[] = {"connect", "open", "close", "error", "dropped", "binary", "pong", NULL};
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
  const fws_cmessage *m = fws_lcodec_message(L, S->chan, 2, FWS_ORIGIN_SERVER);
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
