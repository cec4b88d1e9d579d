/*
** fws_client.c: client connections: options, resolve-then-connect, handshake headers, the
** reasons a connection failed, and reconnect with backoff.
**
** One attempt: RESOLVING (names only, off-thread) -> CONNECTING (lws, with our connect
** timeout) -> OPEN. When it ends, fws_client_ended either schedules the next attempt (WAITING,
** a RECONNECT event) or reports the end for good (ERROR?, DROPPED*, CLOSE).
*/
#define _POSIX_C_SOURCE 200809L
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

static void start_attempt(fws_conn *c);

void fws_client_cfg_free(fws_client_cfg *cfg) {
  size_t i;
  fws_url_free(&cfg->url);
  for (i = 0; i < cfg->nheaders; i++) {
    free(cfg->hnames[i]);
    free(cfg->hvalues[i]);
  }
  free(cfg->hnames);
  free(cfg->hvalues);
  free(cfg->hostport);
  free(cfg->subprotocol);
  free(cfg->ca_file);
  free(cfg);
}

static int is_token_char(unsigned char ch) {  /* RFC 7230 tchar */
  return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", ch);
}

/* Error texts name the header, never its value: values carry credentials. */
static int check_headers(const fws_header *h, size_t n, char *err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; i++) {
    const unsigned char *p;
    if (!h[i].name || !*h[i].name) {
      fws_set_err(err, errlen, "header %zu has no name", i + 1);
      return -1;
    }
    for (p = (const unsigned char *)h[i].name; *p; p++)
      if (!is_token_char(*p)) {
        fws_set_err(err, errlen, "header name %.64s%s is not a valid token",
                    strpbrk(h[i].name, "\r\n") ? "(with CR/LF)" : h[i].name,
                    strlen(h[i].name) > 64 ? "..." : "");
        return -1;
      }
    if (!h[i].value) {
      fws_set_err(err, errlen, "header %.64s has no value", h[i].name);
      return -1;
    }
    if (strpbrk(h[i].value, "\r\n")) {
      fws_set_err(err, errlen, "header %.64s: value contains CR or LF", h[i].name);
      return -1;
    }
  }
  return 0;
}

static char *xstrdup(const char *s, int *oom) {
  char *d;
  if (!s) return NULL;
  if (!(d = strdup(s))) *oom = 1;
  return d;
}

static fws_client_cfg *make_cfg(const fws_conn_opts *o, char *err, size_t errlen) {
  fws_client_cfg *cfg = calloc(1, sizeof *cfg);
  int oom = 0;
  size_t i, n;
  if (!cfg) goto nomem;
  if (fws_url_parse(o->url, &cfg->url, err, errlen)) {
    free(cfg);
    return NULL;
  }
  if (check_headers(o->headers, o->nheaders, err, errlen)) goto fail;
  if (o->subprotocol && (strpbrk(o->subprotocol, "\r\n") || !*o->subprotocol)) {
    fws_set_err(err, errlen, "subprotocol is empty or contains CR or LF");
    goto fail;
  }
  if (o->nheaders) {
    cfg->hnames = calloc(o->nheaders, sizeof *cfg->hnames);
    cfg->hvalues = calloc(o->nheaders, sizeof *cfg->hvalues);
    if (!cfg->hnames || !cfg->hvalues) goto nomem;
    for (i = 0; i < o->nheaders; i++) {
      cfg->nheaders++;
      cfg->hnames[i] = malloc(strlen(o->headers[i].name) + 2);  /* lws wants "name:" */
      cfg->hvalues[i] = xstrdup(o->headers[i].value, &oom);
      if (!cfg->hnames[i]) goto nomem;
      sprintf(cfg->hnames[i], "%s:", o->headers[i].name);
    }
  }
  cfg->subprotocol = xstrdup(o->subprotocol, &oom);
  cfg->ca_file = xstrdup(o->ca_file, &oom);
  if (oom) goto nomem;
  n = strlen(cfg->url.host) + 16;
  if (!(cfg->hostport = malloc(n))) goto nomem;
  if (cfg->url.port == (cfg->url.tls ? 443 : 80))
    snprintf(cfg->hostport, n, cfg->url.ipv6 ? "[%s]" : "%s", cfg->url.host);
  else
    snprintf(cfg->hostport, n, cfg->url.ipv6 ? "[%s]:%d" : "%s:%d", cfg->url.host, cfg->url.port);
  cfg->insecure = o->insecure;
  cfg->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : 20;
  cfg->ping_interval = o->ping_interval;
  cfg->ping_timeout = o->ping_timeout;
  cfg->queue_limit = o->queue_limit;
  cfg->rc = o->reconnect;
  if (cfg->rc.min_delay <= 0) cfg->rc.min_delay = 1.0;
  if (cfg->rc.max_delay <= 0) cfg->rc.max_delay = 10.0;
  if (cfg->rc.max_delay < cfg->rc.min_delay) cfg->rc.max_delay = cfg->rc.min_delay;
  if (cfg->rc.factor < 1) cfg->rc.factor = 1.3;
  if (cfg->rc.jitter == 0) cfg->rc.jitter = 0.3;
  else if (cfg->rc.jitter < 0) cfg->rc.jitter = 0;
  else if (cfg->rc.jitter > 1) cfg->rc.jitter = 1;
  return cfg;
nomem:
  fws_set_err(err, errlen, "out of memory");
fail:
  if (cfg) fws_client_cfg_free(cfg);
  return NULL;
}

fws_conn *fws_conn_connect(fws_loop *loop, const fws_conn_opts *opts, fws_conn_cb cb, void *user,
                           char *err, size_t errlen) {
  fws_client_cfg *cfg;
  fws_conn *c;
  if (!loop || !opts || loop->freeing) {
    fws_set_err(err, errlen, "no loop or no options");
    return NULL;
  }
  if (!(cfg = make_cfg(opts, err, errlen))) return NULL;
  /* A bad ca_file is an option error: find it now, not on every attempt. */
  if (cfg->url.tls && !fws_client_vhost(loop, 1, cfg->ca_file, err, errlen)) {
    fws_client_cfg_free(cfg);
    return NULL;
  }
  if (!(c = fws_conn_alloc(loop))) {
    fws_client_cfg_free(cfg);
    fws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  c->cfg = cfg;
  c->cb = cb;
  c->user = user;
  c->queue_limit = cfg->queue_limit;
  if (opts->max_message_size) c->max_message = opts->max_message_size;
  snprintf(c->peer_addr, sizeof c->peer_addr, "%s", cfg->hostport);
  start_attempt(c);
  fws_conn_set_alive(c, 1);
  return c;
}

/* ---- an attempt ---- */

static void set_fail(fws_conn *c, const char *msg) {
  free(c->fail_msg);
  c->fail_msg = msg ? strdup(msg) : NULL;
}

static void do_connect(fws_conn *c, const char *addr) {
  fws_client_cfg *cfg = c->cfg;
  struct lws_client_connect_info i;
  struct lws *w;
  char err[160];
  memset(&i, 0, sizeof i);
  i.context = c->loop->ctx;
  i.vhost = fws_client_vhost(c->loop, cfg->url.tls, cfg->url.tls ? cfg->ca_file : NULL, err, sizeof err);
  if (!i.vhost) {
    fws_client_ended(c, err, 0, 1006, NULL, 0, 0);
    return;
  }
  i.address = addr;
  i.port = cfg->url.port;
  i.path = cfg->url.path;
  i.host = cfg->hostport;
  i.protocol = cfg->subprotocol;
  i.ietf_version_or_minus_one = -1;
  i.local_protocol_name = "fws";
  i.opaque_user_data = c;
  i.retry_and_idle_policy = fws_retry_policy();
  i.pwsi = &c->wsi;
  if (cfg->url.tls) {
    i.ssl_connection = LCCSCF_USE_SSL;
    if (cfg->insecure)
      i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                          LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  c->state = FWS_CONN_CONNECTING;
  c->in_connect = 1;
  c->destroyed_in_connect = 0;
  c->got_error = 0;
  w = lws_client_connect_via_info(&i);
  c->in_connect = 0;
  if (!w || c->destroyed_in_connect) {
    c->wsi = NULL;
    if (!c->got_error) fws_client_ended(c, "connect failed", 0, 1006, NULL, 0, 0);
    fws_conn_set_alive(c, 0);
    fws_conn_maybe_free(c);
    return;
  }
  c->wsi = w;
  if (c->state == FWS_CONN_CONNECTING) fws_client_arm_timeout(c);
}

static void start_attempt(fws_conn *c) {
  fws_client_cfg *cfg = c->cfg;
  c->tls_err = 0;
  c->http_status = 0;
  c->hangup = 0;
  c->peer_close = 0;
  c->local_code = 0;
  c->established = 0;
  set_fail(c, NULL);
  free(c->subprotocol);
  c->subprotocol = NULL;
  if (c->wsi) {  /* the previous wsi is not gone yet: look again shortly */
    c->state = FWS_CONN_WAITING;
    fws_client_arm_retry(c, 0.01);
    return;
  }
  free(c->addrs);
  c->addrs = NULL;
  c->naddrs = c->addr_idx = 0;
  c->next_addr = 0;
  if (fws_is_numeric_host(cfg->url.host)) {
    do_connect(c, cfg->url.host);
    return;
  }
  c->state = FWS_CONN_RESOLVING;
  c->job = fws_resolver_submit(c->loop->res, c, cfg->url.host, cfg->url.port);
  if (!c->job) fws_client_ended(c, "cannot start the name lookup", 0, 1006, NULL, 0, 0);
}

void fws_client_on_resolved(fws_job *j) {
  fws_conn *c = j->conn;
  c->job = NULL;
  if (c->user_closed || c->state != FWS_CONN_RESOLVING) {
    fws_conn_maybe_free(c);
    return;
  }
  if (j->failed) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot resolve %.100s: %s", j->host, j->addr[0]);
    fws_client_ended(c, msg, 0, 1006, NULL, 0, 0);
    return;
  }
  free(c->addrs);
  c->addrs = malloc(sizeof j->addr);
  if (!c->addrs) {
    fws_client_ended(c, "out of memory", 0, 1006, NULL, 0, 0);
    return;
  }
  memcpy(c->addrs, j->addr, sizeof j->addr);
  c->naddrs = j->naddr;
  c->addr_idx = 0;
  do_connect(c, c->addrs[0]);
}

void fws_client_on_conn_error(fws_conn *c, const char *why) {
  char msg[256];
  /* A plain connect failure with more addresses of the name left: try the next one (from a
  ** timer: this runs inside the dying wsi's callback). */
  if (!c->user_closed && !c->tls_err && !c->fail_msg && !c->http_status &&
      c->addr_idx + 1 < c->naddrs) {
    lws_sul_cancel(&c->sul);
    c->addr_idx++;
    c->next_addr = 1;
    fws_client_arm_retry(c, 0.0);
    return;
  }
  if (c->tls_err)
    snprintf(msg, sizeof msg, "certificate verify failed: %s",
             X509_verify_cert_error_string(c->tls_err));
  else if (c->fail_msg)
    snprintf(msg, sizeof msg, "%s", c->fail_msg);
  else if (c->http_status)
    snprintf(msg, sizeof msg, "handshake refused: HTTP %d", c->http_status);
  else
    snprintf(msg, sizeof msg, "connect failed: %.200s", why && *why ? why : "unknown reason");
  fws_client_ended(c, msg, c->http_status, 1006, NULL, 0, 0);
}

/* ---- headers ---- */

void fws_client_append_headers(fws_conn *c, struct lws *wsi, unsigned char **p,
                               unsigned char *end) {
  fws_client_cfg *cfg = c->cfg;
  size_t i;
  for (i = 0; i < cfg->nheaders; i++)
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)cfg->hnames[i],
                                    (const unsigned char *)cfg->hvalues[i],
                                    (int)strlen(cfg->hvalues[i]), p, end)) {
      set_fail(c, "request headers too big");
      break;
    }
}

/* ---- timers: connect timeout and reconnect delay share the conn's sul ---- */

static void client_sul_cb(lws_sorted_usec_list_t *sul) {
  fws_conn *c = lws_container_of(sul, fws_conn, sul);
  c->loop->activity++;
  fws_client_sul(c);
}

void fws_client_arm_timeout(fws_conn *c) {
  lws_sul_schedule(c->loop->ctx, 0, &c->sul, client_sul_cb,
                   (lws_usec_t)(c->cfg->connect_timeout * 1e6));
}

void fws_client_arm_retry(fws_conn *c, double seconds) {
  lws_sul_schedule(c->loop->ctx, 0, &c->sul, client_sul_cb, (lws_usec_t)(seconds * 1e6));
}

void fws_client_sul(fws_conn *c) {
  if (c->state == FWS_CONN_CONNECTING && c->next_addr) {
    if (c->wsi) {  /* the failed wsi is not gone yet */
      fws_client_arm_retry(c, 0.001);
      return;
    }
    c->next_addr = 0;
    c->tls_err = 0;
    c->http_status = 0;
    do_connect(c, c->addrs[c->addr_idx]);
  } else if (c->state == FWS_CONN_CONNECTING) {
    char msg[64];
    snprintf(msg, sizeof msg, "connect timeout (%.3g s)", c->cfg->connect_timeout);
    set_fail(c, msg);
    if (c->wsi) lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    else fws_client_ended(c, msg, 0, 1006, NULL, 0, 0);
  } else if (c->state == FWS_CONN_WAITING) {
    start_attempt(c);
  }
}

/* Like Fern's TypeScript client: min_delay * factor^(n-1), capped, plus random jitter. */
static double backoff(fws_conn *c) {
  fws_reconnect *rc = &c->cfg->rc;
  double d = rc->min_delay;
  int i;
  for (i = 1; i < c->attempt && d < rc->max_delay; i++) d *= rc->factor;
  d += d * rc->jitter * fws_random(c->loop);
  return d > rc->max_delay ? rc->max_delay : d;
}

void fws_client_ended(fws_conn *c, const char *err, int status, int code, const char *reason,
                      size_t reason_len, int peer_normal) {
  fws_client_cfg *cfg = c->cfg;
  fws_qev *e;
  double delay;
  if (fws_conn_ended(c)) return;
  /* No retry after a normal close by the peer, a refused login, or a certificate problem:
  ** none of them gets better by trying again. */
  if (c->attempt >= cfg->rc.attempts || peer_normal || status == 401 || status == 403 ||
      c->tls_err) {
    fws_conn_finish(c, err, status, code, reason, reason_len);
    return;
  }
  if (err) fws_ev_error(c, status, "%s", err);
  fws_conn_drop_queue(c, cfg->queue_limit);
  c->attempt++;
  delay = backoff(c);
  e = fws_ev_push(c->loop, c, FWS_EV_RECONNECT, NULL, 0);
  if (e) {
    e->ev.attempt = c->attempt;
    e->ev.delay = delay;
    e->ev.code = code;
  }
  c->state = FWS_CONN_WAITING;
  fws_client_arm_retry(c, delay);
  fws_conn_set_alive(c, 1);
}
