/*
** fws_conn.c: what client connections and server peers share once bytes flow: the public
** per-connection calls, receive and reassembly, control frames, the close handshake (RFC 6455
** section 7), failing a connection, keepalive, and the conn lifetime. The lws callbacks that
** drive it are in fws_lwscb.c.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

/* ---- lifetime ---- */

fws_conn *fws_conn_alloc(fws_loop *loop) {
  fws_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->loop = loop;
  c->max_message = FWS_DEFAULT_MAX_MESSAGE;
  c->probe_fd = -1;
  c->next = loop->conns;
  if (c->next) c->next->prev = c;
  loop->conns = c;
  return c;
}

/* Counted in fws_loop_active while not final or while lws still holds a wsi for it. */
void fws_conn_set_alive(fws_conn *c, int alive) {
  alive = alive || c->state != FWS_CONN_CLOSED || (c->wsi && c->established);
  if (c->srv && !c->established && c->state != FWS_CONN_CLOSED) alive = 0; /* an upgrade under way */
  if (alive && !c->counted) {
    c->counted = 1;
    c->loop->nalive++;
  } else if (!alive && c->counted) {
    c->counted = 0;
    c->loop->nalive--;
  }
}

static void conn_free(fws_conn *c) {
  fws_loop *loop = c->loop;
  if (loop->ctx) lws_sul_cancel(&c->sul);
  if (c->counted) loop->nalive--;
  if (c->prev) c->prev->next = c->next;
  else loop->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->cfg) fws_client_probe_close(c, 0);
  fws_sendq_clear(&c->q);
  fws_conn_rx_reset(c);
  fws_server_unlink_peer(c);
  if (c->cfg) fws_client_cfg_free(c->cfg);
  fws_http_head_drop(&c->head);
  if (c->tls) fws_tlscli_free(c->tls);
  free(c->close_reason);
  free(c->peer_reason);
  free(c->fail_msg);
  free(c->subprotocol);
  free(c->addrs);
  free(c->fail_detail);
  free(c->url_text);
  free(c->target_hostport);
  fws_url_drop(&c->target);
  fws_url_drop(&c->pending);
  free(c);
}

void fws_conn_maybe_free(fws_conn *c) {
  if (c->released && !c->wsi && !c->nevents && !c->kill_req && !c->job && !c->in_connect &&
      !c->flush_pending && !c->loop->freeing)
    conn_free(c);
}

void fws_conn_free_all(fws_loop *loop) {
  while (loop->conns) conn_free(loop->conns);
}

/* Ends the socket from outside its own callbacks. KILL_SYNC destroys the wsi at once, which is
** only safe outside lws_service: inside it we defer to after the pass. */
void fws_conn_kill(fws_conn *c) {
  fws_loop *loop = c->loop;
  if (!c->wsi) return;
  if (loop->in_service) {
    if (!c->kill_req) {
      c->kill_req = 1;
      c->kill_next = loop->kills;
      loop->kills = c;
    }
    return;
  }
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/* ---- the public per-connection calls ---- */

fws_conn_state fws_conn_get_state(const fws_conn *c) { return c->state; }
size_t fws_conn_queued(const fws_conn *c) { return c->q.count; }
void *fws_conn_user(const fws_conn *c) { return c->user; }
const char *fws_conn_peer(const fws_conn *c) { return c->peer_addr; }
const char *fws_conn_subprotocol(const fws_conn *c) { return c->subprotocol; }

void fws_conn_set_callback(fws_conn *c, fws_conn_cb cb, void *user) {
  c->cb = cb;
  c->user = user;
}

/*
** A message sent from user code (outside lws_service: a callback, or between polls) is written
** when the loop next flushes (fws_conn_flush: after each round of callbacks, and before every
** service pass), directly, in one burst with what else was queued, when lws holds no unsent
** bytes of ours. Asking lws for a WRITEABLE instead costs one more poll() per round trip; with
** one message in flight that poll is a good part of the latency.
*/
void fws_conn_want_write(fws_conn *c) {
  fws_loop *loop = c->loop;
  if (!c->wsi) return;
  if (loop->in_service) {
    lws_callback_on_writable(c->wsi);
  } else if (!c->flush_pending) {
    c->flush_pending = 1;
    c->flush_next = loop->flush;
    loop->flush = c;
    fws_loop_kick(loop);  /* sent from outside poll/run/step: a host loop must step */
  }
}

static void set_close_reason(fws_conn *c, int code, const char *reason, size_t n) {
  free(c->close_reason);
  c->close_reason = NULL;
  c->close_reason_len = 0;
  c->close_code = code;
  if (n > 123) n = 123;  /* a close frame holds 125 bytes */
  if (n && (c->close_reason = malloc(n))) {
    memcpy(c->close_reason, reason, n);
    c->close_reason_len = n;
  }
}

/* Our close (its code and reason set) goes out at the next flush: after the events queued so far
** are delivered, and behind what their callbacks send. */
static void close_at_flush(fws_conn *c) {
  c->close_due = 1;
  if (!c->flush_pending) {
    c->flush_pending = 1;
    c->flush_next = c->loop->flush;
    c->loop->flush = c;
  }
}

void fws_conn_flush(fws_loop *loop) {
  while (loop->flush) {
    fws_conn *c = loop->flush;
    loop->flush = c->flush_next;
    c->flush_next = NULL;
    c->flush_pending = 0;
    if (c->close_due && c->wsi) {  /* close_at_flush */
      c->close_due = 0;
      if (c->state == FWS_CONN_OPEN) c->state = FWS_CONN_CLOSING;
      c->close_req = 1;
    }
    if (c->wsi && (c->phase == FWS_PH_WS || c->phase == FWS_PH_DONE)) {
      int r = 1; /* 1: more left (or not written here); -1: failed (the WRITEABLE reports it) */
      if (!lws_partial_buffered(c->wsi)) r = fws_frame_write_due(c, c->wsi);
      if (r) lws_callback_on_writable(c->wsi);
    }
    fws_conn_maybe_free(c);
  }
}

/* Would this message pass a bound of the queue? One message always goes, whatever its size. */
static int over_bounds(const fws_conn *c, size_t len) {
  if (!c->q.count) return 0;
  if (c->q.bytes + len > c->queue_bytes || c->q.bytes + len < len) return 1;
  return c->srv && c->srv->queued + len > c->srv->queue_total;
}

int fws_conn_send(fws_conn *c, int binary, const char *data, size_t len) {
  fws_msg *m;
  if (c->user_closed || c->state == FWS_CONN_CLOSED || c->state == FWS_CONN_CLOSING)
    return FWS_SEND_CLOSED;
  if (c->state == FWS_CONN_OPEN) {
    /* a slow peer must not hold the others, a peer that never reads not our memory */
    if ((c->srv && c->q.count >= c->queue_limit) || over_bounds(c, len)) {
      fws_qev *e = fws_ev_push(c->loop, c, FWS_EV_DROPPED, data, len);
      if (e) e->ev.binary = binary != 0;
      return FWS_SEND_DROPPED;
    }
    if (!(m = fws_msg_new(binary, data, len))) return FWS_SEND_NOMEM;
    fws_sendq_push(&c->q, m);
    fws_conn_want_write(c);
    return FWS_SEND_OK;
  }
  if (c->srv) return FWS_SEND_NOT_OPEN;  /* a peer still in its handshake */
  if (c->q.count >= c->queue_limit) return c->queue_limit ? FWS_SEND_QUEUE_FULL : FWS_SEND_NOT_OPEN;
  if (over_bounds(c, len)) return FWS_SEND_QUEUE_FULL;
  if (!(m = fws_msg_new(binary, data, len))) return FWS_SEND_NOMEM;
  fws_sendq_push(&c->q, m);
  return FWS_SEND_OK;
}

void fws_conn_close(fws_conn *c, int code, const char *reason, size_t reason_len) {
  if (!c || c->user_closed) return;
  c->user_closed = 1;
  if (code <= 0) code = 1000;
  switch (c->state) {
    case FWS_CONN_RESOLVING:
      if (c->job) fws_resolver_cancel(c->loop->res, c->job);
      c->job = NULL;
      c->state = FWS_CONN_CLOSED;
      break;
    case FWS_CONN_WAITING:
      lws_sul_cancel(&c->sul);
      c->state = FWS_CONN_CLOSED;
      break;
    case FWS_CONN_CONNECTING:
      lws_sul_cancel(&c->sul);
      c->state = FWS_CONN_CLOSED;
      fws_conn_kill(c);
      break;
    case FWS_CONN_OPEN:
      lws_sul_cancel(&c->sul);  /* no more keepalive */
      c->ping_due = 0;
      c->close_req = 1;
      set_close_reason(c, code, reason, reason_len);
      c->state = FWS_CONN_CLOSING;
      if (c->wsi) {
        /* queued messages go first; a peer that never reads cannot hold the close forever */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
        fws_conn_want_write(c);
      }
      break;
    case FWS_CONN_CLOSING:
    case FWS_CONN_CLOSED:
      break;
  }
  if (c->state != FWS_CONN_CLOSING) fws_sendq_clear(&c->q);
  fws_conn_rx_reset(c);
  fws_conn_set_alive(c, 0);
}

void fws_conn_release(fws_conn *c) {
  if (!c) return;
  fws_conn_close(c, 1001, NULL, 0);
  c->released = 1;
  fws_conn_maybe_free(c);
}

/* Each held message becomes a DROPPED event, but the first `keep` stay queued. */
void fws_conn_drop_queue(fws_conn *c, size_t keep) {
  fws_sendq kept = {0};
  fws_msg *m;
  kept.total = c->q.total;
  while ((m = fws_sendq_pop(&c->q))) {
    if (kept.count < keep) {
      fws_sendq_push(&kept, m);
      continue;
    }
    fws_qev *e = fws_ev_push(c->loop, c, FWS_EV_DROPPED, (const char *)m->buf + LWS_PRE, m->len);
    if (e) e->ev.binary = m->binary;
    free(m);
  }
  c->q = kept;
  c->q.off = 0;  /* a half-sent message starts over on the next connection */
}

/* ---- incoming messages ---- */

lws_usec_t fws_message_us(double seconds) {
  if (seconds < 0) return 0;
  return (lws_usec_t)((seconds > 0 ? seconds : FWS_DEFAULT_MESSAGE_SECS) * 1e6);
}

void fws_conn_rx_reset(fws_conn *c) {
  if (c->srv) c->srv->rx_total -= c->rx_len;
  free(c->rx);
  c->rx = NULL;
  c->rx_len = c->rx_cap = 0;
  c->rx_started = 0;
}

/* ---- keepalive (and the deadline of a message being assembled) on the conn's sul ---- */

static void conn_sul_cb(lws_sorted_usec_list_t *sul);

static void keepalive_schedule(fws_conn *c, lws_usec_t now) {
  lws_usec_t next = 0;
  if (c->ping_us) next = c->last_ping + c->ping_us;
  if (c->timeout_us && (!next || c->last_valid + c->timeout_us < next))
    next = c->last_valid + c->timeout_us;
  if (c->rx_started && c->message_us && (!next || c->rx_started + c->message_us < next))
    next = c->rx_started + c->message_us;
  if (!next) return;
  next -= now;
  if (next < 1000) next = 1000;
  lws_sul_schedule(c->loop->ctx, 0, &c->sul, conn_sul_cb, next);
}

void fws_conn_keepalive_start(fws_conn *c, double interval, double timeout) {
  lws_usec_t now = lws_now_usecs();
  c->ping_us = interval > 0 ? (lws_usec_t)(interval * 1e6) : 0;
  c->timeout_us = timeout > 0 ? (lws_usec_t)(timeout * 1e6) : 0;
  c->last_valid = c->last_ping = now;
  keepalive_schedule(c, now);
}

static void keepalive_fire(fws_conn *c) {
  lws_usec_t now = lws_now_usecs();
  if (!c->wsi) return;
  if (c->rx_started && c->message_us && now - c->rx_started >= c->message_us) {
    char msg[80];
    snprintf(msg, sizeof msg, "message too slow: not whole after %.3g s", (double)c->message_us / 1e6);
    fws_conn_fail(c, 1008, FWS_ERR_LIMIT, msg, "message too slow");
    return;
  }
  if (c->timeout_us && now - c->last_valid >= c->timeout_us) {
    c->hangup = 1;  /* fws_conn_on_closed reports it */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    return;
  }
  if (c->ping_us && now - c->last_ping >= c->ping_us) {
    c->last_ping = now;
    c->ping_due = 1;
    lws_callback_on_writable(c->wsi);
  }
  keepalive_schedule(c, now);
}

static void conn_sul_cb(lws_sorted_usec_list_t *sul) {
  fws_conn *c = lws_container_of(sul, fws_conn, sul);
  c->loop->activity++;
  if (c->state == FWS_CONN_OPEN) keepalive_fire(c);
  else if (c->cfg) fws_client_sul(c);
}

/* ---- the connection opens, fails, closes ---- */

void fws_conn_on_open(fws_conn *c) {
  lws_sul_cancel(&c->sul);
  c->established = 1;
  c->phase = FWS_PH_WS;
  memset(&c->rd, 0, sizeof c->rd);
  fws_http_head_drop(&c->head);
  if (c->user_closed) {  /* closed while the handshake ran: say goodbye properly */
    c->state = FWS_CONN_CLOSING;
    c->close_req = 1;
    if (!c->close_code) set_close_reason(c, 1001, NULL, 0);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
    lws_callback_on_writable(c->wsi);
    return;
  }
  c->state = FWS_CONN_OPEN;
  c->attempt = 0;
  if (c->cfg)
    fws_conn_keepalive_start(c, c->cfg->ping_interval, c->cfg->ping_timeout);
  else if (c->srv)
    fws_conn_keepalive_start(c, c->srv->ping_interval, c->srv->ping_timeout);
  fws_conn_set_alive(c, 1);
  fws_ev_push(c->loop, c, FWS_EV_OPEN, c->subprotocol, c->subprotocol ? strlen(c->subprotocol) : 0);
  if (c->q.head) lws_callback_on_writable(c->wsi);
}

/*
** Failing the WebSocket connection (RFC 6455 7.1.7): what the peer sends from here on is not
** read, our close frame goes out first at the next WRITEABLE (before anything queued), and the
** socket closes once it has gone. A peer that neither reads nor answers cannot hold us: the
** grace timeout ends the socket.
*/
void fws_conn_fail(fws_conn *c, int code, fws_err_kind kind, const char *msg, const char *reason) {
  if (msg) fws_ev_error(c, kind, 0, "%s", msg);
  lws_sul_cancel(&c->sul);
  fws_conn_rx_reset(c);
  c->local_code = code;
  c->ping_due = 0;
  c->pong_due = 0;
  c->phase = FWS_PH_DONE;
  if (!c->wsi) return;
  if (c->close_sent) {  /* nothing more to say */
    c->hangup_due = 1;
    lws_callback_on_writable(c->wsi);
  } else if (!c->close_req) {
    /* the close goes at the flush after this round of events, behind what the callbacks of the
    ** messages read before the fault sent (as for the peer's own close) */
    set_close_reason(c, code, reason, reason ? strlen(reason) : 0);
    close_at_flush(c);
  }
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
}

int fws_conn_on_data(fws_conn *c, unsigned char *p, size_t n, int fin) {
  c->last_valid = lws_now_usecs();
  if (c->user_closed || c->state != FWS_CONN_OPEN) return 0;  /* closing: not delivered */
  if (!c->rx) c->rx_binary = c->rd.op == 2 || (c->rd.op == 0 && c->rx_binary);
  if (fin && !c->rx) {  /* the common case: a whole message in one piece */
    fws_ev_push(c->loop, c, c->rx_binary ? FWS_EV_BINARY : FWS_EV_TEXT, (const char *)p, n);
    return 0;
  }
  if (c->srv && c->srv->rx_total + n > c->srv->assembly_total) {
    /* many peers each holding a big unfinished message would hold the server's memory */
    char msg[120];
    snprintf(msg, sizeof msg, "server busy: its peers' unfinished messages would pass %zu bytes",
             c->srv->assembly_total);
    fws_conn_fail(c, 1013, FWS_ERR_LIMIT, msg, "server busy");
    return -1;
  }
  if (!c->rx_started && c->message_us) {  /* a message in pieces: message_timeout to arrive whole */
    c->rx_started = c->last_valid;
    keepalive_schedule(c, c->last_valid);
  }
  if (c->rx_len + n + 1 > c->rx_cap) {
    size_t cap = c->rx_cap ? c->rx_cap : 4096;
    char *nb;
    while (cap < c->rx_len + n + 1) cap *= 2;
    if (!(nb = realloc(c->rx, cap))) {
      fws_conn_fail(c, 1011, FWS_ERR_LIMIT, "out of memory receiving a message", "out of memory");
      return -1;
    }
    c->rx = nb;
    c->rx_cap = cap;
  }
  if (n) memcpy(c->rx + c->rx_len, p, n);
  c->rx_len += n;
  if (c->srv) c->srv->rx_total += n;
  if (fin) {  /* hand the buffer over to the event */
    char *buf = c->rx;
    size_t len = c->rx_len;
    buf[len] = '\0';
    if (c->srv) c->srv->rx_total -= len;
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    c->rx_started = 0;
    fws_ev_push_owned(c->loop, c, c->rx_binary ? FWS_EV_BINARY : FWS_EV_TEXT, buf, len);
  }
  return 0;
}

int fws_conn_on_control(fws_conn *c, int op, const unsigned char *p, size_t n) {
  c->last_valid = lws_now_usecs();
  if (op == 9) {  /* ping: answered with its payload, after what is being written */
    if (c->close_sent || c->phase != FWS_PH_WS) return 0;
    memcpy(c->pong, p, n);
    c->pong_len = n;
    c->pong_due = 1;
    if (c->wsi) lws_callback_on_writable(c->wsi);
    return 0;
  }
  if (op == 10) {
    if (c->state == FWS_CONN_OPEN) fws_ev_push(c->loop, c, FWS_EV_PONG, (const char *)p, n);
    return 0;
  }
  /* close */
  c->peer_close = 1;
  c->peer_code = n >= 2 ? (p[0] << 8 | p[1]) : 1005;
  free(c->peer_reason);
  c->peer_reason = NULL;
  c->peer_reason_len = 0;
  if (n > 2 && (c->peer_reason = malloc(n - 2))) {
    memcpy(c->peer_reason, p + 2, n - 2);
    c->peer_reason_len = n - 2;
    if (c->cfg) c->peer_reason_len = fws_scrub(c->cfg, c->peer_reason, c->peer_reason_len, 0);
  }
  c->phase = FWS_PH_DONE;
  c->pong_due = 0;
  fws_conn_rx_reset(c);
  if (c->close_sent) {  /* the answer to ours: the close handshake is done */
    c->hangup_due = 1;
    if (c->wsi) lws_callback_on_writable(c->wsi);
    return 0;
  }
  /* The peer began it: the answer (its code, or none when it gave none) goes once the messages
  ** read before its close have been delivered and what their callbacks sent is queued: at the
  ** flush that follows this round of events (fws_conn_flush). */
  lws_sul_cancel(&c->sul);
  if (!c->close_req) set_close_reason(c, c->peer_code == 1005 ? 0 : c->peer_code, NULL, 0);
  close_at_flush(c);
  if (c->wsi) lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
  return 0;
}

int fws_conn_on_bytes(fws_conn *c, unsigned char *p, size_t n) {
  switch (c->phase) {
    case FWS_PH_HTTP:
    case FWS_PH_BODY:
      return c->srv ? fws_server_on_bytes(c, p, n) : fws_client_on_bytes(c, p, n);
    case FWS_PH_WS:
      fws_wsread_feed(c, p, n);
      return 0;
    default:
      return 0;  /* closing: nothing more is read */
  }
}

/* The final events of a connection that will not come back. */
void fws_conn_finish(fws_conn *c, const char *err, int status, int code, const char *reason,
                     size_t rlen) {
  fws_qev *e;
  lws_sul_cancel(&c->sul);
  c->state = FWS_CONN_CLOSED;
  if (err) fws_ev_fault(c, c->fail_kind, status, c->fail_detail, c->fail_detail_len, err);
  fws_conn_drop_queue(c, 0);
  e = fws_ev_push(c->loop, c, FWS_EV_CLOSE, reason, rlen);
  if (e) e->ev.code = code;
  fws_conn_set_alive(c, 0);
}

/* What every end of a network connection does first; 1 when the user closed it (it is over). */
int fws_conn_ended(fws_conn *c) {
  lws_sul_cancel(&c->sul);
  c->ping_due = 0;
  c->pong_due = 0;
  c->close_req = 0;
  c->close_sent = 0;
  c->hangup_due = 0;
  c->phase = FWS_PH_NONE;
  fws_conn_rx_reset(c);
  if (c->tls) {
    fws_tlscli_free(c->tls);
    c->tls = NULL;
  }
  fws_http_head_drop(&c->head);
  if (!c->user_closed) return 0;
  c->state = FWS_CONN_CLOSED;
  fws_sendq_clear(&c->q);
  fws_conn_set_alive(c, 0);
  return 1;
}

void fws_conn_on_closed(fws_conn *c) {
  const char *err = NULL;
  int code;
  if (c->srv && !c->established) {  /* an upgrade that never was: nobody was told of it */
    fws_conn_ended(c);
    c->state = FWS_CONN_CLOSED;
    fws_conn_set_alive(c, 0);
    return;
  }
  if (fws_conn_ended(c)) return;
  c->fail_kind = FWS_ERR_NETWORK;
  if (c->hangup) {
    err = "keepalive timeout";
    code = 1006;
  } else if (c->local_code) {
    code = c->local_code;  /* the error event went out when we decided to close */
  } else if (c->peer_close) {
    code = c->peer_code;
  } else {
    err = "connection lost";
    code = 1006;
  }
  if (c->cfg) {
    fws_client_ended(c, err, 0, code, c->peer_close && !c->hangup ? c->peer_reason : NULL,
                     c->peer_close && !c->hangup ? c->peer_reason_len : 0,
                     c->peer_close && code == 1000);
  } else {
    fws_conn_finish(c, err, 0, code, c->peer_close ? c->peer_reason : NULL,
                    c->peer_close ? c->peer_reason_len : 0);
  }
}

/* Bytes to the socket, through the client's TLS when there is one. p has LWS_PRE bytes of
** headroom; lws keeps what the socket does not take and sends it before anything else. */
int fws_conn_write(fws_conn *c, struct lws *wsi, unsigned char *p, size_t n) {
  unsigned char buf[LWS_PRE + 16384];
  size_t m;
  if (!c->tls) return n && lws_write(wsi, p, n, LWS_WRITE_RAW) < 0 ? -1 : 0;
  if (n && fws_tlscli_write(c->tls, p, n)) return -1;
  while ((m = fws_tlscli_read_out(c->tls, buf + LWS_PRE, sizeof buf - LWS_PRE)))
    if (lws_write(wsi, buf + LWS_PRE, m, LWS_WRITE_RAW) < 0) return -1;
  return 0;
}
