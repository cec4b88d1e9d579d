/* Connections: channel:connect, publish / subscribe / on / receive / close, and the events the
** loop delivers. Lua values a connection holds (callbacks, subscriptions, its channel, kept
** messages) live in its uservalue table, so they go with it; a live connection is pinned in the
** state so it is not collected while the network may still call it. */
#include <string.h>

#include "lua/fws_lcodec.h"
#include "lua/fws_lconn.h"
#include "types/fws_utf8.h"
#include "lua/fws_lopts.h"
#include "lua/fws_lhandshake.h"
#include "lua/fws_lserver.h"

enum { UV_SUBS = 1, UV_ON, UV_CHANNEL, UV_INBOX, UV_SERVER, UV_AUTH, UV_LASTERR, UV_COUNT = 7 };
enum { INBOX_MAX = 1024 };

static fws_lconn *check_conn(lua_State *L, int idx) {
  return fws_lcheck(L, idx, &fws_key_conn, sizeof(fws_lconn), FWS_CONN_MT);
}

static int live(const fws_lconn *c) {
  return c->conn && !c->closed && c->state->loop;
}

void fws_lconn_push(lua_State *L, fws_lconn *c) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->state->refs);
  lua_rawgetp(L, -1, c);
  lua_remove(L, -2);
}

static const char *state_name(const fws_lconn *c) {
  if (!c->conn || !c->state->loop) return "closed";
  if (c->closed) return "closed";
  switch (fws_conn_get_state(c->conn)) {
  case FWS_CONN_RESOLVING: return "resolving";
  case FWS_CONN_CONNECTING: return "connecting";
  case FWS_CONN_OPEN: return "open";
  case FWS_CONN_CLOSING: return "closing";
  case FWS_CONN_WAITING: return "waiting";
  case FWS_CONN_CLOSED: return "closed";
  }
  return "closed";
}

/* ---- waking tasks ---- */

/* A task waiting in connect gets (conn) when ok, else (nil, the error at err): L is the running
** thread, self the connection's index there. */
static void wake_open_waiter(fws_lconn *c, lua_State *L, int self, int ok, int err) {
  lua_State *co = c->open_waiter;
  if (!co) return;
  if (ok) {
    lua_pushvalue(L, self);
  } else {
    lua_pushnil(L);
    lua_pushvalue(L, err);
  }
  c->open_waiter = NULL; /* once the values are pushed: a memory error leaves it waiting */
  fws_lstate_resume(c->state, L, co, ok ? 1 : 2);
}

/* The nvals values at the top of L go to the task waiting in receive (popped either way). */
static void wake_recv_waiter(fws_lconn *c, lua_State *L, int nvals) {
  lua_State *co = c->recv_waiter;
  if (!co) {
    lua_pop(L, nvals);
    return;
  }
  c->recv_waiter = NULL;
  if (c->recv_timer) {
    fws_timer_cancel(c->recv_timer);
    c->recv_timer = NULL;
  }
  fws_lstate_resume(c->state, L, co, nvals);
}

/* Both waiters learn that the connection is over: connect gets nil and the connection's last
** error (or "closed" when none came), receive gets nil, "closed". */
static void wake_all_closed(fws_lconn *c, lua_State *L, int self, int code) {
  if (c->open_waiter) {
    if (!self) lua_pushnil(L);
    if ((self ? lua_getiuservalue(L, self, UV_LASTERR) : LUA_TNIL) == LUA_TNIL) {
      lua_pop(L, 1);
      char why[96];
      snprintf(why, sizeof why, "closed before it opened (code %d)", code);
      fws_lstate_push_error(L, "network", why);
    }
    wake_open_waiter(c, L, self, 0, lua_gettop(L));
    lua_pop(L, 1);
  }
  if (c->recv_waiter) {
    lua_pushnil(L);
    lua_pushliteral(L, "closed");
    wake_recv_waiter(c, L, 2);
  }
}

/* ---- events ---- */

/* Calls on[name] of the connection at self with the nargs values at the top of s->L (popped);
** a server's peer then tells its server's handler. Returns how many handlers it found. */
static int emit_args(fws_lconn *c, int self, const char *name, int nargs) {
  lua_State *L = c->state->L;
  int args = lua_gettop(L) - nargs + 1, found = 0;
  for (int level = 0; level < (c->peer ? 2 : 1); level++) {
    if (level == 0) {
      lua_getiuservalue(L, self, UV_ON);
    } else {
      lua_getiuservalue(L, self, UV_SERVER);
      if (lua_isnil(L, -1)) continue;
      fws_lserver_push_table(L, lua_gettop(L), 0);
      lua_remove(L, -2);
    }
    if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
      lua_pop(L, 2);
      continue;
    }
    found++;
    lua_remove(L, -2);
    for (int i = 0; i < nargs; i++) lua_pushvalue(L, args + i);
    fws_lstate_call(c->state, nargs);
  }
  lua_settop(L, args - 1);
  return found;
}

/* The same with the connection itself after the nargs values. */
static int emit(fws_lconn *c, int self, const char *name, int nargs) {
  lua_pushvalue(c->state->L, self);
  return emit_args(c, self, name, nargs + 1);
}

/* "dropped": (data, binary, why) at the top become (data, binary, conn, why). */
static int emit_dropped(fws_lconn *c, int self) {
  lua_State *L = c->state->L;
  lua_pushvalue(L, self);
  lua_insert(L, -2);
  return emit_args(c, self, "dropped", 4);
}

/* The error object at the top (popped) goes to the error handlers; with none (on the connection,
** nor on a peer's server) to fernws.on_error: no failure goes unseen. A task waiting in connect
** gets it as its result instead, so it counts as seen there. */
static void emit_error(fws_lconn *c, int self) {
  lua_State *L = c->state->L;
  int err = lua_gettop(L);
  if (c->open_waiter) {
    lua_pushvalue(L, err);
    lua_setiuservalue(L, self, UV_LASTERR);
  }
  lua_pushvalue(L, err);
  if (emit(c, self, "error", 1) == 0 && !c->open_waiter) fws_lstate_report(c->state, L, self);
  else lua_pop(L, 1);
}

/* The error object of an ERROR event (kind, message, status...), built here only: the error
** event and a task's failed connect carry this same object. */
static void push_event_error(lua_State *L, const fws_event *ev) {
  static const char *const kinds[] = {"network", "tls", "handshake", "redirect", "protocol", "limit"};
  fws_lstate_push_error(L, (unsigned)ev->err < sizeof kinds / sizeof *kinds ? kinds[ev->err] : "network", "");
  lua_pushlstring(L, ev->data, ev->len);
  lua_setfield(L, -2, "message");
  if (ev->status) {
    lua_pushinteger(L, ev->status);
    lua_setfield(L, -2, "status");
  }
  if (ev->detail_len) { /* the server's own words for a refusal; where a redirect pointed */
    lua_pushlstring(L, ev->detail, ev->detail_len);
    lua_setfield(L, -2, ev->err == FWS_ERR_REDIRECT ? "location" : "body");
  }
}

static void final_close(fws_lconn *c, int self) {
  lua_State *L = c->state->L;
  c->closed = 1;
  fws_lstate_unpin(L, c->state, c);
  if (c->peer) {
    lua_getiuservalue(L, self, UV_SERVER);
    if (!lua_isnil(L, -1)) fws_lserver_forget_peer(L, lua_gettop(L), self);
    lua_pop(L, 1);
  }
}

static void deliver(fws_lconn *c, int self, int base, int tag, const char *variant, const char *data, size_t len);
/* A received message a task will read: kept in the inbox, or reported as dropped when it is full. */
static void keep_for_task(fws_lconn *c, int self, int value, int info, const char *data, size_t len) {
  lua_State *L = c->state->L;
  lua_getiuservalue(L, self, UV_INBOX);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  if (n < INBOX_MAX) {
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, value);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, info);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, n + 1);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  /* the task is INBOX_MAX messages behind: this one is not kept, and that is told */
  lua_pushlstring(L, data, len);
  lua_pushboolean(L, 0);
  lua_pushliteral(L, "inbox full");
  if (emit_dropped(c, self) == 0 && !c->told_full) {
    /* with no handler, on_error hears of it once per connection */
    c->told_full = 1;
    fws_lstate_push_error(L, "dropped", "a task's inbox is full (1024 messages): received messages are dropped");
    fws_lstate_report(c->state, L, self);
  }
}

static void on_text(fws_lconn *c, int self, const char *data, size_t len) {
  lua_State *L = c->state->L;
  luaL_checkstack(L, 16, "fernws");
  int base = lua_gettop(L);
  fws_decode_opts o = {.strict = c->strict};
  if (c->api->codec.anchor_ref > 0) {
    /* property names come from the codec's anchor table (types/fws_keys.c) */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->api->codec.anchor_ref);
    o.anchor = lua_gettop(L);
  }
  const fws_dispatch *d = c->peer ? &c->cc->client : &c->cc->server;
  fws_verrs errs = {0};
  fws_decoded out;
  int rc = fws_decode_dispatch(L, &c->api->codec, data, len, d, &o, &errs, &out);
  if (rc) {
    /* nil, text, list (errs freed, whatever happens) -> an error object with the raw text */
    fws_lcodec_push_decoded(L, rc, &errs, "a message matches no message of the channel");
    fws_lstate_push_error(L, "decode", lua_tostring(L, -2));
    lua_insert(L, -4);
    lua_setfield(L, -4, "errors");
    lua_pop(L, 2);
    lua_pushlstring(L, data, len);
    lua_setfield(L, -2, "raw");
    emit_error(c, self);
    lua_settop(L, base);
    return;
  }
  fws_verrs_free(&errs);
  deliver(c, self, base, out.tag, out.variant, data, len);
}

/* The value at the top is message `tag` of the channel (its frame: data, len): to a task waiting
** in receive, the inbox, then the subscribers; the stack goes back to base. */
static void deliver(fws_lconn *c, int self, int base, int tag, const char *variant, const char *data, size_t len) {
  lua_State *L = c->state->L;
  const char *id = c->cc->messages[tag].id;
  int value = lua_gettop(L);
  fws_lcodec_push_info(L, c->api, id, variant);
  int info = value + 1;
  /* a task waiting in receive takes it first if it is what it waits for */
  if (c->recv_waiter && (strcmp(c->recv_id, "*") == 0 || strcmp(c->recv_id, id) == 0)) {
    lua_pushvalue(L, value);
    lua_pushvalue(L, info);
    wake_recv_waiter(c, L, 2);
  } else if (c->inbox) {
    keep_for_task(c, self, value, info, data, len);
  }
  if (!live(c)) {
    lua_settop(L, base);
    return;
  }
  /* subscribers: the message's id, then "*"; a peer's own, then its server's */
  for (int level = 0; level < (c->peer ? 2 : 1) && live(c); level++) {
    if (level == 0) {
      lua_getiuservalue(L, self, UV_SUBS);
    } else {
      lua_getiuservalue(L, self, UV_SERVER);
      if (lua_isnil(L, -1)) break;
      fws_lserver_push_table(L, lua_gettop(L), 1);
      lua_remove(L, -2);
    }
    int subs = lua_gettop(L);
    for (int pass = 0; pass < 2 && live(c); pass++) {
      if (lua_rawgeti(L, subs, pass ? 0 : tag + 1) == LUA_TFUNCTION) {
        lua_pushvalue(L, value);
        lua_pushvalue(L, info);
        lua_pushvalue(L, self);
        fws_lstate_call(c->state, 3);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_settop(L, subs - 1);
  }
  lua_settop(L, base);
}

/* A binary frame is the channel's binary message from the other side, when it has one. */
static void on_binary(fws_lconn *c, int self, const char *data, size_t len) {
  int tag = fws_lcodec_binary_tag(c->ch, c->peer ? FWS_ORIGIN_CLIENT : FWS_ORIGIN_SERVER);
  if (tag < 0 || !live(c)) return;
  int base = lua_gettop(c->state->L);
  lua_pushlstring(c->state->L, data, len);
  deliver(c, self, base, tag, NULL, data, len);
}

typedef struct event_call {
  fws_lconn *c;
  const fws_event *ev;
} event_call;

/* What an event does in Lua, run by fws_lstate_protect (so on s->L, with the call at 1). */
static int event_body(lua_State *L) {
  event_call *a = lua_touserdata(L, 1);
  fws_lconn *c = a->c;
  const fws_event *ev = a->ev;
  luaL_checkstack(L, 16, "fernws");
  fws_lconn_push(L, c);
  if (lua_isnil(L, -1)) return 0;
  int self = lua_gettop(L);
  switch (ev->kind) {
  case FWS_EV_OPEN:
    /* the channel's auth-message goes first on every new connection (the first one has it held) */
    if (c->opened && lua_getiuservalue(L, self, UV_AUTH) == LUA_TSTRING) {
      size_t n;
      const char *t = lua_tolstring(L, -1, &n);
      fws_conn_send(c->conn, 0, t, n);
    }
    lua_settop(L, self);
    c->opened = 1;
    lua_pushnil(L);
    lua_setiuservalue(L, self, UV_LASTERR);
    if (!c->peer && fws_conn_url(c->conn)) /* where a followed redirect led */
      snprintf(c->where, sizeof c->where, "%s", fws_conn_url(c->conn));
    wake_open_waiter(c, L, self, 1, 0);
    if (live(c)) emit(c, self, "open", 0);
    break;
  case FWS_EV_TEXT:
    on_text(c, self, ev->data, ev->len);
    break;
  case FWS_EV_BINARY:
    lua_pushlstring(L, ev->data, ev->len);
    emit(c, self, "binary", 1);
    on_binary(c, self, ev->data, ev->len);
    break;
  case FWS_EV_ERROR:
    push_event_error(L, ev);
    emit_error(c, self);
    break;
  case FWS_EV_CLOSE:
    final_close(c, self);
    wake_all_closed(c, L, self, ev->code);
    lua_pushinteger(L, ev->code);
    lua_pushlstring(L, ev->data, ev->len);
    emit(c, self, "close", 2);
    break;
  case FWS_EV_RECONNECT:
    lua_pushinteger(L, ev->attempt);
    lua_pushnumber(L, ev->delay);
    lua_pushinteger(L, ev->code);
    emit(c, self, "reconnect", 3);
    break;
  case FWS_EV_DROPPED:
    lua_pushlstring(L, ev->data, ev->len);
    lua_pushboolean(L, ev->binary);
    lua_pushliteral(L, "not sent");
    emit_dropped(c, self);
    break;
  case FWS_EV_PONG:
    emit(c, self, "pong", 0);
    break;
  }
  return 0;
}

/* After a CLOSE event whose Lua part failed (out of memory): the handle still ends, and a task
** waiting on it is told, so nothing waits for an event that will not come. */
static int settle_body(lua_State *L) {
  fws_lconn *c = lua_touserdata(L, 1);
  fws_lstate_unpin(L, c->state, c);
  wake_all_closed(c, L, 0, 1006);
  return 0;
}

void fws_lconn_event(fws_conn *conn, const fws_event *ev, void *user) {
  (void)conn;
  fws_lconn *c = user;
  if (!c->state->L || c->closed) return;
  event_call a = {c, ev};
  if (fws_lstate_protect(c->state, event_body, &a) && ev->kind == FWS_EV_CLOSE) {
    c->closed = 1;
    fws_lstate_protect(c->state, settle_body, c);
  }
}

/* ---- construction ---- */

static fws_lconn *new_conn(lua_State *L, fws_lstate *s, int ch_idx) {
  ch_idx = lua_absindex(L, ch_idx);
  fws_lchannel *ch = fws_lchannel_check(L, ch_idx);
  /* marked closed before the network connection exists: an error leaves it consistent */
  fws_lconn *c = lua_newuserdatauv(L, sizeof *c, UV_COUNT);
  memset(c, 0, sizeof *c);
  c->tag = &fws_key_conn;
  c->closed = 1;
  c->state = s;
  c->api = ch->owner;
  c->ch = ch->ch;
  c->cc = &ch->owner->schema->channels[ch->index];
  c->chan = ch;
  luaL_setmetatable(L, FWS_CONN_MT);
  for (int i = UV_SUBS; i <= UV_INBOX; i++) { /* UV_SERVER stays nil but for a server's peers */
    if (i == UV_CHANNEL) lua_pushvalue(L, ch_idx);
    else lua_newtable(L);
    lua_setiuservalue(L, -2, i);
  }
  return c;
}

static double opt_number(lua_State *L, int t, const char *k, double dflt) {
  lua_getfield(L, t, k);
  double v = lua_isnil(L, -1) ? dflt : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

static void read_reconnect(lua_State *L, int opts, fws_reconnect *r) {
  int t = lua_getfield(L, opts, "reconnect");
  if (t == LUA_TNUMBER) {
    r->attempts = (int)lua_tointeger(L, -1);
  } else if (t == LUA_TBOOLEAN) {
    r->attempts = lua_toboolean(L, -1) ? 30 : 0;
  } else if (t == LUA_TTABLE) {
    int rt = lua_gettop(L);
    r->attempts = (int)opt_number(L, rt, "attempts", 30);
    r->min_delay = opt_number(L, rt, "min_delay", 0);
    r->max_delay = opt_number(L, rt, "max_delay", 0);
    r->factor = opt_number(L, rt, "factor", 0);
    r->jitter = opt_number(L, rt, "jitter", 0);
    /* jitter = 0 in Lua means none; the net layer reads 0 as its default */
    lua_getfield(L, rt, "jitter");
    if (!lua_isnil(L, -1) && r->jitter == 0) r->jitter = -1;
    lua_pop(L, 1);
  } else if (t != LUA_TNIL) {
    luaL_error(L, "reconnect must be a number of attempts, true, or a table");
  }
  lua_pop(L, 1);
}

/* The channel's auth-message (Fern `auth-message`): the token at token-property-path of the
** named client message, encoded now so that a bad one raises at connect. Pushes the text or nil. */
static void push_auth_message(lua_State *L, fws_lchannel *ch, int opts) {
  const fws_channel *c = ch->ch;
  if (!c->auth_message_id || !c->auth_token_path) {
    lua_pushnil(L);
    return;
  }
  int t = lua_getfield(L, opts, "auth");
  if (t == LUA_TTABLE) {
    lua_getfield(L, -1, "token");
    lua_remove(L, -2);
  }
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  int token = lua_gettop(L);
  lua_newtable(L);
  int body = lua_gettop(L);
  lua_pushvalue(L, body);
  const char *path = c->auth_token_path;
  for (;;) {
    const char *dot = strchr(path, '.');
    if (!dot) {
      lua_pushvalue(L, token);
      lua_setfield(L, -2, path);
      break;
    }
    lua_pushlstring(L, path, (size_t)(dot - path));
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_insert(L, -3);
    lua_rawset(L, -4);
    lua_remove(L, -2);
    path = dot + 1;
  }
  lua_settop(L, body);
  lua_pushstring(L, c->auth_message_id);
  const fws_cmessage *m = fws_lcodec_message(L, ch, -1, FWS_ORIGIN_CLIENT);
  lua_pop(L, 1);
  fws_lcodec_encode(L, &ch->owner->codec, body, m->type, "invalid auth-message '%s'", m->id);
  lua_pushlstring(L, ch->owner->codec.out.data, ch->owner->codec.out.len);
  lua_replace(L, token);
  lua_settop(L, token);
}

/* A timeout option: seconds, or false for none (-1); absent: 0, the default. */
double fws_lconn_opt_timeout(lua_State *L, int opts, const char *key) {
  int t = lua_getfield(L, opts, key);
  double v = 0;
  if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) v = -1;
  else if (t != LUA_TNIL) {
    v = luaL_checknumber(L, -1);
    if (v <= 0) luaL_error(L, "%s must be a positive number of seconds, or false for none", key);
  }
  lua_pop(L, 1);
  return v;
}

/* follow_redirects = N (same origin only) or {max = N, cross_origin = true}. */
static void read_redirects(lua_State *L, int opts, fws_conn_opts *o) {
  int t = lua_getfield(L, opts, "follow_redirects");
  if (t == LUA_TTABLE) {
    lua_getfield(L, -1, "max");
    o->follow_redirects = (int)luaL_optinteger(L, -1, 5);
    lua_getfield(L, -2, "cross_origin");
    o->cross_origin = lua_toboolean(L, -1);
    lua_pop(L, 2);
  } else if (t == LUA_TBOOLEAN) {
    o->follow_redirects = lua_toboolean(L, -1) ? 5 : 0;
  } else if (t != LUA_TNIL) {
    lua_Integer n = luaL_checkinteger(L, -1);
    o->follow_redirects = n < 0 ? 0 : n > 20 ? 20 : (int)n;
  }
  lua_pop(L, 1);
}

int fws_lconn_connect(lua_State *L) {
  fws_lchannel *ch = fws_lchannel_check(L, 1);
  if (lua_isnoneornil(L, 2)) lua_newtable(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  fws_lopts_connect(L, 2);
  lua_settop(L, 2);
  fws_lstate *s = fws_lstate_get(L);
  fws_lhandshake_build(L, ch, 2);
  int req = lua_gettop(L);

  fws_conn_opts o;
  memset(&o, 0, sizeof o);
  lua_getfield(L, req, "url");
  o.url = lua_tostring(L, -1);
  lua_getfield(L, req, "subprotocol");
  o.subprotocol = lua_tostring(L, -1);
  lua_getfield(L, req, "subprotocol_secret");
  o.subprotocol_secret = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, req, "secrets");
  size_t ns = lua_rawlen(L, -1);
  const char **secrets = lua_newuserdatauv(L, (ns ? ns : 1) * sizeof *secrets, 0);
  for (size_t i = 0; i < ns; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i + 1);
    secrets[i] = lua_tostring(L, -1);
    lua_pop(L, 1);  /* the strings stay alive in req.secrets */
  }
  o.secrets = secrets;
  o.nsecrets = ns;
  read_redirects(L, 2, &o);
  lua_getfield(L, req, "headers");
  size_t nh = lua_rawlen(L, -1);
  fws_header *hs = lua_newuserdatauv(L, (nh ? nh : 1) * sizeof *hs, 0);
  for (size_t i = 0; i < nh; i++) {
    lua_rawgeti(L, -2, (lua_Integer)i + 1);
    lua_rawgeti(L, -1, 1);
    hs[i].name = lua_tostring(L, -1);
    lua_rawgeti(L, -2, 2);
    hs[i].value = lua_tostring(L, -1);
    lua_pop(L, 3); /* the strings stay alive in the request table */
  }
  o.headers = hs;
  o.nheaders = nh;
  if (lua_getfield(L, 2, "tls") == LUA_TTABLE) {
    lua_getfield(L, -1, "ca_file");
    o.ca_file = lua_tostring(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "verify");
    if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) o.insecure = 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  o.max_message_size = (size_t)opt_number(L, 2, "max_message_size", 0);
  o.ping_interval = opt_number(L, 2, "ping_interval", 0);
  o.ping_timeout = opt_number(L, 2, "ping_timeout", 0);
  o.connect_timeout = opt_number(L, 2, "connect_timeout", 0);
  o.queue_limit = fws_lstate_opt_queue(L, 2, 0);
  read_reconnect(L, 2, &o.reconnect);
  lua_getfield(L, 2, "queue_bytes");
  o.queue_bytes = (size_t)luaL_optinteger(L, -1, 0);
  lua_pop(L, 1);
  o.message_timeout = fws_lconn_opt_timeout(L, 2, "message_timeout");
  lua_getfield(L, 2, "strict");
  int strict = lua_toboolean(L, -1);
  lua_pop(L, 1);

  push_auth_message(L, ch, 2);
  int auth_text = lua_gettop(L);
  if (!lua_isnil(L, auth_text) && o.queue_limit == 0) o.queue_limit = 1; /* it waits for open */

  fws_lconn *c = new_conn(L, s, 1);
  lua_pushvalue(L, auth_text);
  lua_setiuservalue(L, -2, UV_AUTH);
  c->strict = strict;
  c->inbox = fws_lstate_is_task(L);
  /* where, for messages: scheme://host:port/path, never the query (it may carry a key) */
  size_t ul = strcspn(o.url, "?");
  snprintf(c->where, sizeof c->where, "%.*s", (int)(ul < sizeof c->where ? ul : sizeof c->where - 1), o.url);
  char err[512];
  c->conn = fws_conn_connect(s->loop, &o, fws_lconn_event, c, err, sizeof err);
  if (!c->conn) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot connect to %s: %s", c->where, err);
    return 2;
  }
  c->closed = 0;
  fws_lstate_pin(L, s, -1);
  if (!lua_isnil(L, auth_text)) {
    size_t n;
    const char *t = lua_tolstring(L, auth_text, &n);
    fws_conn_send(c->conn, 0, t, n);
  }
  if (c->inbox) {
    /* a task waits here until the connection opens (or fails for good) */
    c->open_waiter = L;
    return fws_lstate_wait(L, s);
  }
  return 1;
}

fws_lconn *fws_lconn_new_peer(lua_State *L, fws_lstate *s, int ch_idx, fws_conn *conn) {
  fws_lconn *c = new_conn(L, s, ch_idx);
  c->peer = 1;
  snprintf(c->where, sizeof c->where, "%s", fws_conn_peer(conn) ? fws_conn_peer(conn) : "?");
  fws_lstate_pin(L, s, -1);
  /* only now, when nothing can raise: an object that never got here does not hold the handle */
  c->conn = conn;
  c->closed = 0;
  return c;
}

/* ---- methods ---- */

void fws_lconn_shutdown(lua_State *L, fws_lconn *c, int code, const char *reason, size_t rlen) {
  if (c->closed || !c->conn || !c->state->loop) {
    c->closed = 1;
    return;
  }
  fws_conn_close(c->conn, code, reason, rlen);
  c->closed = 1;
  fws_lstate_unpin(L, c->state, c);
  /* tasks waiting on it learn now, resumed from L: no event will come for them */
  wake_all_closed(c, L, 0, code);
}

static int conn_close(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  int code = (int)luaL_optinteger(L, 2, 1000);
  size_t rlen = 0;
  const char *reason = luaL_optlstring(L, 3, "", &rlen);
  if (code != 1000 && (code < 3000 || code > 4999) && !(code >= 1001 && code <= 1014 && code != 1004 &&
      code != 1005 && code != 1006))
    return luaL_error(L, "close code %d cannot be sent (use 1000, 1001-1003, 1007-1014 or 3000-4999)", code);
  if (rlen > 123) return luaL_error(L, "a close reason is at most 123 bytes");
  if (!fws_utf8_valid(reason, rlen))  /* a strict peer would fail the connection on it (1007) */
    return luaL_error(L, "a close reason must be UTF-8 text (byte %d is not)", (int)fws_utf8_valid_prefix(reason, rlen) + 1);
  fws_lconn_shutdown(L, c, code, reason, rlen);
  return 0;
}

/* Collected (or the Lua state closing): no Lua code runs, the network side is given back. */
static int conn_gc(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  if (c->conn && c->state->loop) {
    if (!c->closed) fws_conn_close(c->conn, 1001, "", 0);
    fws_conn_release(c->conn);
  }
  c->conn = NULL;
  c->closed = 1;
  return 0;
}

/* A to-be-closed variable going out of scope: a close (1001), waiters told, then given back. */
static int conn_tbc(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  fws_lconn_shutdown(L, c, 1001, "", 0);
  return conn_gc(L);
}

/* Hands a message to the connection: pushes true, or nil and why, and returns how many values it
** pushed. What the network decided is a result ("closed": the connection ended, whoever ended
** it; "not open": reconnecting; "queue full"; "dropped": a peer's queue is full); sending on a
** connection that was never open and has no queue is a mistake of the program, and raises. */
static int send_or_raise(lua_State *L, fws_lconn *c, int binary, const char *data, size_t len) {
  const char *why;
  if (!live(c)) {
    why = "closed";
  } else {
    switch (fws_conn_send(c->conn, binary, data, len)) {
    case FWS_SEND_OK: lua_pushboolean(L, 1); return 1;
    case FWS_SEND_NOT_OPEN:
      if (!c->opened)
        return luaL_error(L, "connection to %s is not open (%s): wait for open, or connect with queue = N",
                          c->where, state_name(c));
      why = "not open";
      break;
    case FWS_SEND_QUEUE_FULL: why = "queue full"; break;
    case FWS_SEND_DROPPED: why = c->peer ? "dropped: the peer's queue is full" : "dropped: the send queue is full"; break;
    case FWS_SEND_CLOSED: why = "closed"; break;
    default: return luaL_error(L, "out of memory sending to %s", c->where);
    }
  }
  lua_pushnil(L);
  lua_pushstring(L, why);
  return 2;
}

static int conn_publish(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  /* a publish names a message this side sends */
  const fws_cmessage *m = fws_lcodec_sendable(L, c->chan, 2, c->peer ? FWS_ORIGIN_SERVER : FWS_ORIGIN_CLIENT);
  luaL_checkany(L, 3);
  fws_lcodec_encode(L, &c->api->codec, 3, m->type, "invalid '%s' message", m->id);
  return send_or_raise(L, c, 0, c->api->codec.out.data, c->api->codec.out.len);
}

/* send_binary(bytes), and send_text(raw): not checked against the definition, for peers that do
** not follow it; a text frame must still be UTF-8 (a peer fails the connection on one that is not) */
static int send_raw(lua_State *L, int binary) {
  fws_lconn *c = check_conn(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  if (!binary && !fws_utf8_valid(data, len))
    return luaL_error(L, "send_text: the text is not UTF-8 (byte %d); send bytes with send_binary",
                      (int)fws_utf8_valid_prefix(data, len) + 1);
  return send_or_raise(L, c, binary, data, len);
}

static int conn_send_binary(lua_State *L) { return send_raw(L, 1); }
static int conn_send_text(lua_State *L) { return send_raw(L, 0); }

static int conn_subscribe(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  return fws_lcodec_set_subscription(L, UV_SUBS, c->chan, c->peer ? FWS_ORIGIN_CLIENT : FWS_ORIGIN_SERVER);
}

static int conn_on(lua_State *L) {
  static const char *const events[] = {"open", "close", "error", "reconnect", "dropped", "binary", "pong", NULL};
  check_conn(L, 1);
  return fws_lcodec_set_handler(L, UV_ON, events);
}

static int recv_timeout_body(lua_State *L) {
  fws_lconn *c = lua_touserdata(L, 1);
  lua_pushnil(L);
  lua_pushliteral(L, "timeout");
  wake_recv_waiter(c, L, 2);
  return 0;
}

static void recv_timeout(fws_timer *t, void *user) {
  (void)t;
  fws_lconn *c = user;
  c->recv_timer = NULL;
  fws_lstate_protect(c->state, recv_timeout_body, c);
}

/* conn:receive([id [, timeout]]) in a task: the next such message (value, info), or nil, err. */
static int conn_receive(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  const char *id = luaL_optstring(L, 2, "*");
  double timeout = luaL_optnumber(L, 3, -1);
  if (strcmp(id, "*") != 0) {
    fws_lcodec_message(L, c->chan, 2, c->peer ? FWS_ORIGIN_CLIENT : FWS_ORIGIN_SERVER);
  }
  if (!fws_lstate_is_task(L)) return luaL_error(L, "conn:receive waits: call it in a task (fernws.spawn)");
  if (c->recv_waiter) return luaL_error(L, "another task is already waiting in receive on this connection");
  c->inbox = 1;
  /* kept messages first, oldest first */
  lua_getiuservalue(L, 1, UV_INBOX);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_rawgeti(L, -1, 2);
    lua_getfield(L, -1, "id");
    int match = strcmp(id, "*") == 0 || strcmp(lua_tostring(L, -1), id) == 0;
    lua_pop(L, 2);
    if (match) {
      int t = lua_absindex(L, -2);
      for (lua_Integer k = i; k < n; k++) {
        lua_rawgeti(L, t, k + 1);
        lua_rawseti(L, t, k);
      }
      lua_pushnil(L);
      lua_rawseti(L, t, n);
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      return 2;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (!live(c)) {
    lua_pushnil(L);
    lua_pushstring(L, "closed");
    return 2;
  }
  snprintf(c->recv_id, sizeof c->recv_id, "%s", id);
  c->recv_waiter = L;
  if (timeout >= 0) c->recv_timer = fws_timer_start(c->state->loop, timeout, recv_timeout, c);
  return fws_lstate_wait(L, c->state);
}

static int conn_index(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "state") == 0) lua_pushstring(L, state_name(c));
  else if (strcmp(k, "channel") == 0) lua_getiuservalue(L, 1, UV_CHANNEL);
  else if (strcmp(k, "url") == 0) lua_pushstring(L, c->where);
  else if (strcmp(k, "peer") == 0) lua_pushstring(L, c->where);
  else if (strcmp(k, "queued") == 0) lua_pushinteger(L, live(c) ? (lua_Integer)fws_conn_queued(c->conn) : 0);
  else if (strcmp(k, "subprotocol") == 0) {
    const char *sp = live(c) ? fws_conn_subprotocol(c->conn) : NULL;
    if (sp) lua_pushstring(L, sp);
    else lua_pushnil(L);
  } else lua_pushnil(L);
  return 1;
}

static int conn_tostring(lua_State *L) {
  fws_lconn *c = check_conn(L, 1);
  lua_pushfstring(L, "fernws.%s %s %s (%s)", c->peer ? "peer" : "conn", c->ch->name, c->where, state_name(c));
  return 1;
}

void fws_lconn_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", conn_gc}, {"__close", conn_tbc},
                                  {"__tostring", conn_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"publish", conn_publish}, {"send_binary", conn_send_binary},
                                     {"send_text", conn_send_text}, {"subscribe", conn_subscribe},
                                     {"on", conn_on}, {"receive", conn_receive}, {"close", conn_close},
                                     {NULL, NULL}};
  luaL_newmetatable(L, FWS_CONN_MT);
  luaL_setfuncs(L, meta, 0);
  fws_lsetup_mt(L, &fws_key_conn, methods, conn_index);
  lua_pop(L, 1);
}
