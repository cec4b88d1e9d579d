/*
** fws_conn.c: what client connections and server peers share: the one lws protocol callback
** (every vhost uses it, so the TLS verify report that lws sends to the first vhost lands here
** too), receive and reassembly, the write side, close, keepalive, and the conn lifetime.
*/
#define _POSIX_C_SOURCE 200809L
#include <openssl/x509.h>
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
  alive = alive || c->state != FWS_CONN_CLOSED || c->wsi;
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
  if (c->counted) loop->nalive--;
  if (c->prev) c->prev->next = c->next;
  else loop->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->cfg) fws_client_probe_close(c, 0);
  fws_sendq_clear(&c->q);
  fws_conn_rx_reset(c);
  fws_server_unlink_peer(c);
  if (c->cfg) fws_client_cfg_free(c->cfg);
  free(c->close_reason);
  free(c->peer_reason);
  free(c->fail_msg);
  free(c->subprotocol);
  free(c->addrs);
  free(c->fail_detail);
  free(c->url_text);
  free(c->target_hostport);
  if (c->target) fws_url_free(c->target);
  if (c->pending) fws_url_free(c->pending);
  free(c->target);
  free(c->pending);
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

/* Abort before the handshake finished: lws_close_reason would assert here (the process dies),
** and a KILL_ASYNC timeout is overridden by lws' own connect timeouts. KILL_SYNC destroys the
** wsi at once, which is only safe outside lws_service: inside it we defer to after the pass. */
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
** service pass), directly, in one burst with what else was queued, when the connection is open
** and lws holds no unsent bytes of its own. Asking lws for a WRITEABLE instead costs one more
** poll() per round trip; with one message in flight that poll is a good part of the latency.
** Anything the direct write cannot take (a ping due, a close asked for, a fragmented message,
** lws' buffered output) still goes through WRITEABLE.
*/
static void want_write(fws_conn *c) {
  fws_loop *loop = c->loop;
  if (loop->in_service) {
    lws_callback_on_writable(c->wsi);
  } else if (!c->flush_pending) {
    c->flush_pending = 1;
    c->flush_next = loop->flush;
    loop->flush = c;
  }
}

void fws_conn_flush(fws_loop *loop) {
  while (loop->flush) {
    fws_conn *c = loop->flush;
    loop->flush = c->flush_next;
    c->flush_next = NULL;
    c->flush_pending = 0;
    if (c->wsi && c->q.head) {
      int r = 2; /* 2: not written here; 1: more left; -1: failed (the WRITEABLE reports it) */
      if (c->state == FWS_CONN_OPEN && !c->ping_due && !c->close_req && !lws_partial_buffered(c->wsi))
        r = fws_frame_burst(c, c->wsi);
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
    if (c->wsi) want_write(c);
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
      c->close_code = code;
      if (reason_len > 123) reason_len = 123;  /* a close frame holds 125 bytes */
      if (reason_len && (c->close_reason = malloc(reason_len))) {
        memcpy(c->close_reason, reason, reason_len);
        c->close_reason_len = reason_len;
      }
      c->state = FWS_CONN_CLOSING;
      if (c->wsi) {
        /* queued messages go first; a peer that never reads cannot hold the close forever */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
        lws_callback_on_writable(c->wsi);
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
  kept.total = c->q.total;
  fws_msg *m;
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

/* ---- keepalive: our own sul, so a hang-up is known as one (lws' validity close is not) ---- */

static void conn_sul_cb(lws_sorted_usec_list_t *sul);
static void fault_close(fws_conn *c, struct lws *wsi, int code, const char *why);

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
    fws_ev_error(c, FWS_ERR_LIMIT, 0, "message too slow: not whole after %.3g s",
                 (double)c->message_us / 1e6);
    fault_close(c, c->wsi, 1008, "message too slow");
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
  else fws_client_sul(c);
}

/* ---- events from lws ---- */

void fws_conn_on_open(fws_conn *c) {
  lws_sul_cancel(&c->sul);
  c->established = 1;
  if (c->user_closed) {  /* closed while the handshake ran: say goodbye properly */
    c->state = FWS_CONN_CLOSING;
    c->close_req = 1;
    if (!c->close_code) c->close_code = 1001;
    lws_callback_on_writable(c->wsi);
    return;
  }
  c->state = FWS_CONN_OPEN;
  c->attempt = 0;
  if (c->cfg)
    fws_conn_keepalive_start(c, c->cfg->ping_interval, c->cfg->ping_timeout);
  else if (c->srv)
    fws_conn_keepalive_start(c, c->srv->ping_interval, c->srv->ping_timeout);
  fws_ev_push(c->loop, c, FWS_EV_OPEN, c->subprotocol, c->subprotocol ? strlen(c->subprotocol) : 0);
  if (c->q.head) lws_callback_on_writable(c->wsi);
}

/*
** A fault we end the connection for (a message over the limit, no memory for it). Returning -1
** from RECEIVE would be the short way, but lws 4.1.6 goes on filling its rx buffer for the rest of
** the frame after that and writes past its end (upstream issue #3412): a peer could corrupt our
** heap. So we only mark the connection: what else arrives is discarded (on_rx returns 0 when not
** open), and the close frame goes out from the next WRITEABLE, a safe point, before anything queued.
*/
static void fault_close(fws_conn *c, struct lws *wsi, int code, const char *why) {
  size_t n = strlen(why);
  lws_sul_cancel(&c->sul);  /* no more keepalive */
  fws_conn_rx_reset(c);
  c->local_code = code;
  c->close_code = code;
  c->close_req = 1;
  c->ping_due = 0;
  c->state = FWS_CONN_CLOSING;
  free(c->close_reason);
  c->close_reason_len = 0;
  if ((c->close_reason = malloc(n))) {
    memcpy(c->close_reason, why, n);
    c->close_reason_len = n;
  }
  /* a peer that neither reads our close nor answers it cannot hold us */
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, FWS_CLOSE_GRACE_SECS);
  lws_callback_on_writable(wsi);
}

int fws_conn_on_rx(fws_conn *c, struct lws *wsi, const void *in, size_t len) {
  int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
  c->last_valid = lws_now_usecs();
  if (c->user_closed || c->state != FWS_CONN_OPEN) return 0;
  if (!c->rx_len && !c->rx) c->rx_binary = lws_frame_is_binary(wsi) != 0;
  if (len > c->max_message || c->rx_len > c->max_message - len) {
    fws_ev_error(c, FWS_ERR_LIMIT, 0, "message too big: more than %zu bytes", c->max_message);
    fault_close(c, wsi, 1009, "message too big");
    return 0;
  }
  if (final && !c->rx) {  /* the common case: a whole message in one piece */
    fws_ev_push(c->loop, c, c->rx_binary ? FWS_EV_BINARY : FWS_EV_TEXT, in, len);
    return 0;
  }
  if (c->srv && c->srv->rx_total + len > c->srv->assembly_total) {
    /* many peers each holding a big unfinished message would hold the server's memory */
    fws_ev_error(c, FWS_ERR_LIMIT, 0, "server busy: its peers' unfinished messages would pass %zu bytes",
                 c->srv->assembly_total);
    fault_close(c, wsi, 1013, "server busy");
    return 0;
  }
  if (!c->rx_started && c->message_us) {  /* a message in pieces: message_timeout to arrive whole */
    c->rx_started = c->last_valid;
    keepalive_schedule(c, c->last_valid);
  }
  if (c->rx_len + len + 1 > c->rx_cap) {
    size_t cap = c->rx_cap ? c->rx_cap : 4096;
    char *nb;
    while (cap < c->rx_len + len + 1) cap *= 2;
    if (!(nb = realloc(c->rx, cap))) {
      fws_ev_error(c, FWS_ERR_LIMIT, 0, "out of memory receiving a message");
      fault_close(c, wsi, 1011, "out of memory");
      return 0;
    }
    c->rx = nb;
    c->rx_cap = cap;
  }
  if (len) memcpy(c->rx + c->rx_len, in, len);
  c->rx_len += len;
  if (c->srv) c->srv->rx_total += len;
  if (final) {  /* hand the buffer over to the event */
    char *buf = c->rx;
    size_t n = c->rx_len;
    buf[n] = '\0';
    if (c->srv) c->srv->rx_total -= n;
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    c->rx_started = 0;
    fws_ev_push_owned(c->loop, c, c->rx_binary ? FWS_EV_BINARY : FWS_EV_TEXT, buf, n);
  }
  return 0;
}

int fws_conn_on_writeable(fws_conn *c, struct lws *wsi) {
  if (c->ping_due) {
    /* a payload, because lws 4.1.6's server side drops empty pongs before the callback */
    unsigned char b[LWS_PRE + 4];
    memcpy(b + LWS_PRE, "fws", 4);
    c->ping_due = 0;
    if (lws_write(wsi, b + LWS_PRE, 4, LWS_WRITE_PING) < 0) return -1;
    if (c->q.head || c->close_req) lws_callback_on_writable(wsi);
    return 0;
  }
  if (c->q.head && !c->local_code && (c->state == FWS_CONN_OPEN || c->state == FWS_CONN_CLOSING)) {
    /* a burst of whole messages in one write, or one fragment of a big one (fws_sendq.c) */
    int r = fws_sendq_write_burst(c, wsi);
    if (r < 0) return -1;
    if (r > 0 || c->close_req) lws_callback_on_writable(wsi);
    return 0;
  }
  if (c->close_req) {
    lws_close_reason(wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
                     c->close_reason_len);
    return -1;
  }
  return 0;  /* spurious: nothing to do */
}

void fws_conn_on_peer_close(fws_conn *c, const unsigned char *in, size_t len) {
  c->peer_close = 1;
  c->peer_code = 1005;
  free(c->peer_reason);
  c->peer_reason = NULL;
  c->peer_reason_len = 0;
  if (in && len >= 2) {
    c->peer_code = (in[0] << 8) | in[1];
    if (len > 2 && (c->peer_reason = malloc(len - 2))) {
      memcpy(c->peer_reason, in + 2, len - 2);
      c->peer_reason_len = len - 2;
    }
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
  c->close_req = 0;
  fws_conn_rx_reset(c);
  if (!c->user_closed) return 0;
  c->state = FWS_CONN_CLOSED;
  fws_sendq_clear(&c->q);
  fws_conn_set_alive(c, 0);
  return 1;
}

void fws_conn_on_closed(fws_conn *c) {
  const char *err = NULL;
  int code;
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

/* ---- the protocol callback of every vhost ---- */

static int is_current(fws_conn *c, struct lws *wsi) {
  return c && (c->wsi == wsi || c->in_connect);
}

int fws_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len) {
  fws_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
  (void)user;
  switch (reason) {  /* these come from socket activity: lws_service has done its poll() */
    case LWS_CALLBACK_CLIENT_ESTABLISHED: case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE: case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG: case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE: case LWS_CALLBACK_SERVER_WRITEABLE:
      if (c) c->loop->after_poll = 1;
      break;
    default:
      break;
  }
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
      /* user is the X509_STORE_CTX, len is preverify_ok: remember why it failed */
      if (c && !len && user) {
        int e = X509_STORE_CTX_get_error((X509_STORE_CTX *)user);
        if (e != X509_V_OK && !c->tls_err) c->tls_err = e;
      }
      return 0;

    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:  /* user: a client SSL_CTX */
      fws_tls_watch(user);
      return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      if (is_current(c, wsi) && c->cfg)
        fws_client_append_headers(c, wsi, (unsigned char **)in, *(unsigned char **)in + len);
      return 0;

    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
      if (is_current(c, wsi)) {  /* the response headers go away after this */
        int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);
        free(c->subprotocol);
        c->subprotocol = NULL;
        if (n > 0 && (c->subprotocol = malloc((size_t)n + 1)) &&
            lws_hdr_copy(wsi, c->subprotocol, n + 1, WSI_TOKEN_PROTOCOL) < 0) {
          free(c->subprotocol);
          c->subprotocol = NULL;
        }
      }
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_ESTABLISHED:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      fws_conn_on_open(c);
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_RECEIVE:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      return fws_conn_on_rx(c, wsi, in, len);

    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_RECEIVE_PONG:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      c->last_valid = lws_now_usecs();
      if (c->state == FWS_CONN_OPEN) fws_ev_push(c->loop, c, FWS_EV_PONG, in, len);
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      return fws_conn_on_writeable(c, wsi);

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (is_current(c, wsi)) {
        c->loop->activity++;
        fws_conn_on_peer_close(c, in, len);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (is_current(c, wsi) && c->cfg) {
        c->loop->activity++;
        c->got_error = 1;
        if (!c->http_status) c->http_status = (int)lws_http_client_http_response(wsi);
        fws_client_on_conn_error(c, in ? (const char *)in : NULL);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_CLOSED:
      if (is_current(c, wsi)) {
        c->loop->activity++;
        fws_conn_on_closed(c);
      }
      return 0;

    case LWS_CALLBACK_WSI_DESTROY:
      if (!c) return 0;
      lws_set_opaque_user_data(wsi, NULL);
      if (c->in_connect) c->destroyed_in_connect = 1;
      if (c->wsi == wsi) {
        c->wsi = NULL;
        if (c->peer_counted && c->srv) {  /* max_peers counts live sockets */
          c->peer_counted = 0;
          c->srv->npeers--;
        }
        if (c->cfg) fws_client_probe_close(c, 0);
        /* Some lws failure paths end a wsi with no CLOSED or CONNECTION_ERROR callback. */
        if (!c->in_connect && !c->next_addr && !c->redirect_due && (c->state == FWS_CONN_CONNECTING || c->state == FWS_CONN_OPEN ||
                               c->state == FWS_CONN_CLOSING)) {
          if (c->user_closed) c->state = FWS_CONN_CLOSED;
          else if (c->cfg) fws_client_ended(c, "connection lost", 0, 1006, NULL, 0, 0);
          else fws_conn_finish(c, c->established ? "connection lost" : NULL, 0, 1006, NULL, 0);
        }
        fws_conn_set_alive(c, 0);
        fws_conn_maybe_free(c);
      }
      return 0;

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:  /* the upgrade's answer, before lws judges it */
      if (is_current(c, wsi) && c->cfg) {
        fws_client_on_http_answer(c, wsi);
        /* HTTP/1.0 cannot upgrade (RFC 6455 4.1); lws would take it */
        if (c->http_status == 101 && !lws_hdr_total_length(wsi, WSI_TOKEN_HTTP) &&
            lws_hdr_total_length(wsi, WSI_TOKEN_HTTP1_0)) {
          c->fail_kind = FWS_ERR_HANDSHAKE;
          free(c->fail_msg);
          c->fail_msg = strdup("handshake failed: the server answered HTTP/1.0 101 (an upgrade needs HTTP/1.1)");
          return 1;
        }
      }
      return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:  /* a refused upgrade's body */
      if (is_current(c, wsi) && c->cfg) fws_client_on_http_body(c, in, len);
      return 0;

    case LWS_CALLBACK_CLIENT_HTTP_REDIRECT:
      if (is_current(c, wsi) && c->cfg) return fws_client_on_redirect(c, in, (int)len);
      return 1;

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return fws_server_confirm_upgrade(wsi);

    case LWS_CALLBACK_ADD_HEADERS:
      return fws_server_add_headers(wsi, in);

    case LWS_CALLBACK_HTTP:  /* plain HTTP on a WebSocket server */
      if (lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, "WebSocket only")) return -1;
      return lws_http_transaction_completed(wsi) ? -1 : 0;

    default:
      return 0;
  }
}
