/*
** fws_client.c: client connections: options, resolve-then-connect, the upgrade request and the
** judging of its answer (RFC 6455 4.1-4.2), redirects, the reasons an attempt failed, and
** reconnect with backoff.
**
** One attempt: RESOLVING (names only, off-thread) -> CONNECTING (an lws raw socket: TCP, then
** our TLS, then our upgrade request, all under the connect timeout) -> OPEN. When it ends,
** fws_client_ended either schedules the next attempt (WAITING, a RECONNECT event) or reports the
** end for good (ERROR?, DROPPED*, CLOSE).
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* struct tcp_info */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  fws_scrub_free(cfg);
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
  size_t i;
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
  if (!(cfg->hostport = fws_url_hostport(&cfg->url))) goto nomem;
  cfg->subprotocol_secret = o->subprotocol_secret;
  if (fws_scrub_collect(cfg, o)) goto nomem;
  cfg->follow_redirects = o->follow_redirects > 0 ? o->follow_redirects : 0;
  cfg->cross_origin = o->cross_origin;
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
  if (cfg->url.tls && fws_tlscli_check_ca(loop, cfg->ca_file, err, errlen)) {
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
  c->queue_bytes = opts->queue_bytes ? opts->queue_bytes : FWS_DEFAULT_QUEUE_BYTES;
  c->message_us = fws_message_us(opts->message_timeout);
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

/* The URL of this attempt: the configured one, or where redirects led. */
static const fws_url *cur_url(const fws_conn *c) { return c->target ? c->target : &c->cfg->url; }

const char *fws_conn_url(const fws_conn *c) { return c->url_text; }

static void do_connect(fws_conn *c, const char *addr) {
  fws_client_cfg *cfg = c->cfg;
  const fws_url *u = cur_url(c);
  struct lws_client_connect_info i;
  struct lws *w;
  char err[1];
  memset(&i, 0, sizeof i);
  i.context = c->loop->ctx;
  (void)err;
  i.vhost = c->loop->clivh;
  i.address = addr;
  i.port = u->port;
  i.path = "/";
  i.host = c->target ? c->target_hostport : cfg->hostport;
  i.method = "RAW";  /* a socket: the upgrade is ours (fws_client_send_request) */
  i.local_protocol_name = "fws";
  i.opaque_user_data = c;
  i.retry_and_idle_policy = fws_retry_policy();
  i.pwsi = &c->wsi;
  c->state = FWS_CONN_CONNECTING;
  c->phase = FWS_PH_TCP;
  fws_http_head_drop(&c->head);  /* the answer of a socket before this one (a redirect) */
  c->in_connect = 1;
  c->destroyed_in_connect = 0;
  c->got_error = 0;
  c->hs_sent = 0;
  c->tcp_refused = 0;
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
  /* our own reference to the socket: lws reads and clears its error and closes it before telling
  ** us the connect failed; on this one the kernel's TCP state still shows why */
  fws_client_probe_close(c, 0);
  if (lws_get_socket_fd(w) >= 0) c->probe_fd = fcntl(lws_get_socket_fd(w), F_DUPFD_CLOEXEC, 0);
  fws_pollfd_add(c->loop, lws_get_socket_fd(w));  /* a host loop's descriptor watches it */
  if (c->state == FWS_CONN_CONNECTING) fws_client_arm_timeout(c);
}

static void set_detail(fws_conn *c, const char *d, size_t n) {
  free(c->fail_detail);
  c->fail_detail = NULL;
  c->fail_detail_len = 0;
  if (d && (c->fail_detail = malloc(n + 1))) {
    memcpy(c->fail_detail, d, n);
    c->fail_detail[n] = '\0';
    c->fail_detail_len = n;
  }
}

/* Resolve (off-thread) or connect at once, for the current target. */
static void begin(fws_conn *c) {
  const fws_url *u = cur_url(c);
  if (c->wsi) {  /* the previous wsi is not gone yet: look again shortly */
    c->state = FWS_CONN_WAITING;
    fws_client_arm_retry(c, 0.01);
    return;
  }
  free(c->addrs);
  c->addrs = NULL;
  c->naddrs = c->addr_idx = 0;
  c->next_addr = 0;
  if (fws_is_numeric_host(u->host)) {
    do_connect(c, u->host);
    return;
  }
  c->state = FWS_CONN_RESOLVING;
  c->job = fws_resolver_submit(c->loop->res, c, u->host, u->port);
  if (!c->job) fws_client_ended(c, "cannot start the name lookup", 0, 1006, NULL, 0, 0);
}

/* Each attempt starts from the configured URL: a redirect holds for the attempt it came in. */
static void start_attempt(fws_conn *c) {
  c->tls_cert = 0;
  c->http_status = 0;
  c->hangup = 0;
  c->peer_close = 0;
  c->local_code = 0;
  c->established = 0;
  c->fail_kind = FWS_ERR_NETWORK;
  set_detail(c, NULL, 0);
  set_fail(c, NULL);
  free(c->subprotocol);
  c->subprotocol = NULL;
  if (c->target) {
    fws_url_drop(&c->target);
    free(c->target_hostport);
    c->target_hostport = NULL;
    free(c->url_text);
    c->url_text = NULL;
    snprintf(c->peer_addr, sizeof c->peer_addr, "%s", c->cfg->hostport);
  }
  fws_url_drop(&c->pending);
  c->redirects = 0;
  c->cross = 0;
  c->redirect_due = 0;
  begin(c);
}

/*
** A 3xx answer (loc is the Location, status its code). Refused unless follow_redirects allows
** it; to another origin only with cross_origin, and then without the extra headers (credentials,
** declared and custom ones) and without a subprotocol that carries a key; never wss -> ws.
** A hop accepted waits in c->pending until this socket is gone (fws_client_on_conn_error).
*/
static void on_redirect(fws_conn *c, const char *loc, int status) {
  fws_client_cfg *cfg = c->cfg;
  const fws_url *cur = cur_url(c);
  fws_url *next = calloc(1, sizeof *next);
  char err[160], msg[FWS_DETAIL_MAX + 200], *shown;
  c->http_status = status;
  c->fail_kind = FWS_ERR_REDIRECT;
  if (!next) {
    set_fail(c, "out of memory");
    return;
  }
  if (fws_url_resolve(cur, loc ? loc : "", next, err, sizeof err)) {
    free(next);
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d with an unusable Location (%s)", status, err);
    set_fail(c, msg);
    return;
  }
  shown = fws_url_text(next);  /* never the query: it may carry a key */
  set_detail(c, shown, shown ? strlen(shown) : 0);
  msg[0] = '\0';
  if (!cfg->follow_redirects)
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d to %s (redirects are not followed unless allowed)",
             status, shown ? shown : "?");
  else if (c->redirects >= cfg->follow_redirects)
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d to %s: more than %d redirect%s", status,
             shown ? shown : "?", cfg->follow_redirects, cfg->follow_redirects == 1 ? "" : "s");
  else if (cur->tls && !next->tls)
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d from wss to plain %s", status, shown ? shown : "?");
  else if (!fws_url_same_origin(&cfg->url, next) && !cfg->cross_origin)
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d to another origin, %s (cross-origin redirects are not allowed)",
             status, shown ? shown : "?");
  free(shown);
  if (msg[0]) {
    fws_url_free(next);
    free(next);
    set_fail(c, msg);
    return;
  }
  fws_url_drop(&c->pending);
  c->pending = next;
}

/* Takes the hop fws_client_on_redirect accepted: the same attempt goes on at the new URL. */
static void follow(fws_conn *c) {
  fws_url *next = c->pending;
  char *hp = fws_url_hostport(next), *text = fws_url_text(next);
  c->pending = NULL;
  if (!hp || !text) {
    free(hp);
    free(text);
    fws_url_free(next);
    free(next);
    fws_client_ended(c, "out of memory", 0, 1006, NULL, 0, 0);
    return;
  }
  if (!fws_url_same_origin(&c->cfg->url, next)) c->cross = 1;
  fws_url_drop(&c->target);
  free(c->target_hostport);
  free(c->url_text);
  c->target = next;
  c->target_hostport = hp;
  c->url_text = text;
  snprintf(c->peer_addr, sizeof c->peer_addr, "%s", hp);
  c->redirects++;
  c->http_status = 0;
  c->fail_kind = FWS_ERR_NETWORK;
  set_detail(c, NULL, 0);
  set_fail(c, NULL);
  /* from a timer: this runs inside the dying wsi's callback */
  lws_sul_cancel(&c->sul);
  c->redirect_due = 1;
  fws_client_arm_retry(c, 0.0);
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
  char msg[FWS_DETAIL_MAX + 160];
  const char *where = c->peer_addr;
  if (!why) why = "";
  fws_client_probe_close(c, 1);
  if (c->pending && !c->user_closed) {  /* a redirect to follow */
    follow(c);
    return;
  }
  /* A plain connect failure with more addresses of the name left: try the next one (from a
  ** timer: this runs inside the dying wsi's callback). */
  if (!c->user_closed && !c->fail_msg && !c->http_status && !c->hs_sent && c->addr_idx + 1 < c->naddrs) {
    lws_sul_cancel(&c->sul);
    c->addr_idx++;
    c->next_addr = 1;
    fws_client_arm_retry(c, 0.0);
    return;
  }
  if (c->fail_msg) {
    snprintf(msg, sizeof msg, "%s", c->fail_msg);
  } else if (c->http_status && c->http_status != 101) {
    c->fail_kind = FWS_ERR_HANDSHAKE;
    if (c->fail_detail_len)
      snprintf(msg, sizeof msg, "handshake refused: HTTP %d: %s", c->http_status, c->fail_detail);
    else
      snprintf(msg, sizeof msg, "handshake refused: HTTP %d", c->http_status);
  } else if (c->phase == FWS_PH_TLS) {
    c->fail_kind = FWS_ERR_TLS;
    snprintf(msg, sizeof msg, "TLS handshake failed: the server closed the connection");
  } else if (c->phase == FWS_PH_HTTP) {
    c->fail_kind = FWS_ERR_HANDSHAKE;
    snprintf(msg, sizeof msg, "handshake failed: the server closed the connection without answering the upgrade");
  } else if (c->tcp_refused) {
    snprintf(msg, sizeof msg, "connect failed: connection refused (%s)", where);
  } else {
    snprintf(msg, sizeof msg, "connect failed: %s (%s)",
             !*why || !strcmp(why, "Unable to connect") ? "cannot reach the server" : why, where);
  }
  c->phase = FWS_PH_NONE;
  fws_client_ended(c, msg, c->http_status, 1006, NULL, 0, 0);
}

/* Fails the attempt during its handshake: the socket closes, fws_client_on_conn_error reports. */
static int hs_fail(fws_conn *c, fws_err_kind kind, const char *fmt, ...) {
  char msg[FWS_DETAIL_MAX + 160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!c->fail_msg) {
    c->fail_kind = kind;
    set_fail(c, msg);
  }
  c->phase = FWS_PH_DONE;
  return -1;
}

/* ---- the upgrade request ---- */

static int put(char **p, char *end, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(*p, (size_t)(end - *p), fmt, ap);
  va_end(ap);
  if (n < 0 || n >= end - *p) return -1;
  *p += n;
  return 0;
}

void fws_client_send_request(fws_conn *c, struct lws *wsi) {
  fws_client_cfg *cfg = c->cfg;
  const fws_url *u = cur_url(c);
  const char *sp = c->cross && cfg->subprotocol_secret ? NULL : cfg->subprotocol;
  unsigned char raw[16];
  size_t need = strlen(u->path) + strlen(c->target ? c->target_hostport : cfg->hostport) + 256 +
                (sp ? strlen(sp) : 0), i;
  char *buf, *p, *end;
  if (!c->cross)  /* another origin gets none of the extra headers: they may carry credentials */
    for (i = 0; i < cfg->nheaders; i++) need += strlen(cfg->hnames[i]) + strlen(cfg->hvalues[i]) + 4;
  if (fws_frame_key(c->loop, raw) || fws_frame_key(c->loop, raw + 4) || fws_frame_key(c->loop, raw + 8) ||
      fws_frame_key(c->loop, raw + 12)) {
    hs_fail(c, FWS_ERR_NETWORK, "no random bytes for the handshake key");
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  fws_http_key(raw, c->key);
  if (!(buf = malloc(LWS_PRE + need))) {
    hs_fail(c, FWS_ERR_NETWORK, "out of memory");
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  p = buf + LWS_PRE;
  end = p + need;
  put(&p, end, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
      u->path, c->target ? c->target_hostport : cfg->hostport, c->key);
  if (sp) put(&p, end, "Sec-WebSocket-Protocol: %s\r\n", sp);
  if (!c->cross)
    for (i = 0; i < cfg->nheaders; i++) put(&p, end, "%s %s\r\n", cfg->hnames[i], cfg->hvalues[i]);
  put(&p, end, "\r\n");
  c->phase = FWS_PH_HTTP;
  if (fws_conn_write(c, wsi, (unsigned char *)buf + LWS_PRE, (size_t)(p - (buf + LWS_PRE)))) {
    hs_fail(c, FWS_ERR_NETWORK, "cannot send the upgrade request");
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
  free(buf);
}

/* The TCP connect is done: TLS first if wss, else the upgrade request. */
void fws_client_on_connected(fws_conn *c, struct lws *wsi) {
  const fws_url *u = cur_url(c);
  char err[160];
  c->hs_sent = 1;
  fws_client_probe_close(c, 0); /* connected: it must not hold the socket open */
  if (!u->tls) {
    fws_client_send_request(c, wsi);
    return;
  }
  c->phase = FWS_PH_TLS;
  if (!(c->tls = fws_tlscli_new(c->loop, u->host, c->cfg->ca_file, c->cfg->insecure, err, sizeof err))) {
    hs_fail(c, FWS_ERR_TLS, "%s", err);
    return;
  }
  if (fws_tlscli_start(c->tls) || fws_conn_write(c, wsi, NULL, 0)) {
    int cert = 0;
    hs_fail(c, FWS_ERR_TLS, "%s", fws_tlscli_error(c->tls, &cert));
    c->tls_cert = cert != 0;
  }
}

/* ---- the answer ---- */

/* A refused upgrade's body: printable characters, runs of white space as one, cut short, without
** the credentials it may echo. last: the rest of it will not be read. */
static void add_body(fws_conn *c, const unsigned char *in, size_t len, int last) {
  char buf[FWS_DETAIL_MAX];
  size_t n = c->fail_detail_len, i;
  if (n) memcpy(buf, c->fail_detail, n);
  for (i = 0; i < len && n < sizeof buf; i++) {
    unsigned char ch = in[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      if (n && buf[n - 1] != ' ') buf[n++] = ' ';
    } else {
      buf[n++] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
    }
  }
  while (n && buf[n - 1] == ' ') n--;
  set_detail(c, buf, fws_scrub(c->cfg, buf, n, last && c->body_cut));
}

/* The whole head of the answer is in c->head: open, follow, or fail. rest: what came after it. */
static int judge_answer(fws_conn *c, unsigned char *rest, size_t nrest) {
  fws_http_head *h = c->head;
  fws_client_cfg *cfg = c->cfg;
  const char *sp = c->cross && cfg->subprotocol_secret ? NULL : cfg->subprotocol, *v;
  char err[160], want[29];
  if (fws_http_parse(h, 1, err, sizeof err)) return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: %s", err);
  c->http_status = h->status;
  if (h->status >= 300 && h->status < 400 && h->status != 304) {
    v = fws_http_get(h, "Location");
    if (!v) return hs_fail(c, FWS_ERR_REDIRECT, "redirect refused: HTTP %d with no Location", h->status);
    on_redirect(c, v, h->status);
    c->phase = FWS_PH_DONE;
    return -1;  /* fws_client_on_conn_error follows it, or reports it */
  }
  if (h->status != 101) {  /* refused: its body says why, if it comes soon */
    const char *cl = fws_http_get(h, "Content-Length");
    c->fail_kind = FWS_ERR_HANDSHAKE;
    c->body_want = cl ? (size_t)strtoul(cl, NULL, 10) : FWS_DETAIL_MAX;
    c->body_cut = !cl || c->body_want > FWS_DETAIL_MAX;
    if (c->body_want > FWS_DETAIL_MAX) c->body_want = FWS_DETAIL_MAX;
    c->phase = FWS_PH_BODY;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, FWS_BODY_WAIT_SECS);
    return fws_client_on_bytes(c, rest, nrest);
  }
  /* 101: every part of it must be right (RFC 6455 4.1, the client's checks) */
  if (h->minor != 1)
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the server answered HTTP/1.0 101 (an upgrade needs HTTP/1.1)");
  if (!fws_http_get(h, "Upgrade"))
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the answer has no Upgrade header");
  if (!fws_http_has_token(h, "Upgrade", "websocket"))
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the answer upgrades to something other than websocket");
  if (!fws_http_has_token(h, "Connection", "upgrade"))
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the answer's Connection header does not say Upgrade");
  fws_http_accept(c->key, want);
  v = fws_http_get(h, "Sec-WebSocket-Accept");
  if (!v) return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the answer has no Sec-WebSocket-Accept");
  if (strcmp(v, want) || fws_http_count(h, "Sec-WebSocket-Accept") != 1)
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the answer's Sec-WebSocket-Accept does not match the key sent");
  if (fws_http_get(h, "Sec-WebSocket-Extensions"))
    return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: the server answered with an extension that was not offered");
  v = fws_http_get(h, "Sec-WebSocket-Protocol");
  free(c->subprotocol);
  c->subprotocol = NULL;
  if (v) {
    if (!sp || strchr(v, ',') || fws_http_count(h, "Sec-WebSocket-Protocol") != 1 || !fws_http_listed(sp, v)) {
      char shown[101];
      size_t n = strlen(v) < 100 ? strlen(v) : 100;
      memcpy(shown, v, n);
      shown[fws_scrub(cfg, shown, n, n < strlen(v))] = '\0';
      return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: subprotocol mismatch: offered %s, the server answered %s",
                     !sp ? "none" : cfg->subprotocol_secret ? "(a key)" : sp, shown);
    }
    if (!(c->subprotocol = strdup(v))) return hs_fail(c, FWS_ERR_NETWORK, "out of memory");
  }
  c->http_status = 0;
  lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
  fws_conn_on_open(c);
  if (nrest) fws_wsread_feed(c, rest, nrest);  /* frames that came with the answer */
  return 0;
}

int fws_client_on_bytes(fws_conn *c, unsigned char *p, size_t n) {
  char err[160];
  if (c->phase == FWS_PH_BODY) {
    size_t take = n < c->body_want ? n : c->body_want;
    add_body(c, p, take, take == c->body_want);
    c->body_want -= take;
    if (!c->body_want) {
      c->phase = FWS_PH_DONE;
      return -1;  /* fws_client_on_conn_error reports the refusal */
    }
    return 0;
  }
  if (c->phase != FWS_PH_HTTP) return 0;
  if (!c->head && !(c->head = calloc(1, sizeof *c->head))) return hs_fail(c, FWS_ERR_NETWORK, "out of memory");
  for (;;) {
    size_t used;
    int r = fws_http_collect(c->head, p, n, &used, err, sizeof err);
    if (r < 0) return hs_fail(c, FWS_ERR_HANDSHAKE, "handshake failed: %s", err);
    if (r == 0) return 0;
    return judge_answer(c, p + used, n - used);
  }
}

/* Closes our reference to the attempt's socket (do_connect), first reading whether the TCP
** connect was refused: lws read and cleared SO_ERROR already, but a socket whose connect was
** answered by a reset is left in TCP_CLOSE without ever having been established. */
void fws_client_probe_close(fws_conn *c, int judge) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  if (c->probe_fd < 0) return;
  memset(&ti, 0, sizeof ti);
  if (judge && !c->hs_sent && !getsockopt(c->probe_fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) &&
      ti.tcpi_state == TCP_CLOSE)
    c->tcp_refused = 1;
  close(c->probe_fd);
  c->probe_fd = -1;
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
  if (c->state == FWS_CONN_CONNECTING && c->redirect_due) {
    if (c->wsi) {  /* the wsi that got the redirect is not gone yet */
      fws_client_arm_retry(c, 0.001);
      return;
    }
    c->redirect_due = 0;
    begin(c);
  } else if (c->state == FWS_CONN_CONNECTING && c->next_addr) {
    if (c->wsi) {  /* the failed wsi is not gone yet */
      fws_client_arm_retry(c, 0.001);
      return;
    }
    c->next_addr = 0;
    c->http_status = 0;
    do_connect(c, c->addrs[c->addr_idx]);
  } else if (c->state == FWS_CONN_CONNECTING) {
    char msg[160];
    snprintf(msg, sizeof msg, "connect failed: timed out after %.3g s (%s)", c->cfg->connect_timeout, c->peer_addr);
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
  /* No retry after a normal close by the peer, a refused login, a certificate problem or a
  ** redirect we do not follow:
  ** none of them gets better by trying again. */
  if (c->attempt >= cfg->rc.attempts || peer_normal || status == 401 || status == 403 ||
      c->tls_cert || c->fail_kind == FWS_ERR_REDIRECT) {
    fws_conn_finish(c, err, status, code, reason, reason_len);
    return;
  }
  if (err) fws_ev_fault(c, c->fail_kind, status, c->fail_detail, c->fail_detail_len, err);
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
