/*
** fws_client.c: client connections: options, resolve-then-connect, handshake headers, the
** reasons a connection failed, and reconnect with backoff.
**
** One attempt: RESOLVING (names only, off-thread) -> CONNECTING (lws, with our connect
** timeout) -> OPEN. When it ends, fws_client_ended either schedules the next attempt (WAITING,
** a RECONNECT event) or reports the end for good (ERROR?, DROPPED*, CLOSE).
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* struct tcp_info */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
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
  char err[160];
  memset(&i, 0, sizeof i);
  i.context = c->loop->ctx;
  i.vhost = fws_client_vhost(c->loop, u->tls, u->tls ? cfg->ca_file : NULL, err, sizeof err);
  if (!i.vhost) {
    c->fail_kind = FWS_ERR_TLS;
    fws_client_ended(c, err, 0, 1006, NULL, 0, 0);
    return;
  }
  i.address = addr;
  i.port = u->port;
  i.path = u->path;
  i.host = c->target ? c->target_hostport : cfg->hostport;
  /* a key carried as the subprotocol never goes to another origin */
  i.protocol = c->cross && cfg->subprotocol_secret ? NULL : cfg->subprotocol;
  i.ietf_version_or_minus_one = -1;
  i.local_protocol_name = "fws";
  i.opaque_user_data = c;
  i.retry_and_idle_policy = fws_retry_policy();
  i.pwsi = &c->wsi;
  if (u->tls) {
    i.ssl_connection = LCCSCF_USE_SSL;
    if (cfg->insecure)
      i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                          LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  c->state = FWS_CONN_CONNECTING;
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
  c->tls_err = 0;
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
    fws_url_free(c->target);
    free(c->target);
    free(c->target_hostport);
    c->target = NULL;
    c->target_hostport = NULL;
    free(c->url_text);
    c->url_text = NULL;
    snprintf(c->peer_addr, sizeof c->peer_addr, "%s", c->cfg->hostport);
  }
  if (c->pending) {
    fws_url_free(c->pending);
    free(c->pending);
    c->pending = NULL;
  }
  c->redirects = 0;
  c->cross = 0;
  c->redirect_due = 0;
  begin(c);
}

/*
** A 3xx answer (inside lws: loc is the Location, status its code). We never let lws follow it:
** lws would resolve a name on the loop's thread, keep every header, the subprotocol included,
** for any host, and the application would not know. Refused unless follow_redirects allows it;
** to another origin only with cross_origin, and then without the extra headers (credentials,
** declared and custom ones) and without a subprotocol that carries a key. Returns 1 (lws then
** ends this wsi: CONNECTION_ERROR); a hop to follow is taken from fws_client_on_conn_error.
*/
int fws_client_on_redirect(fws_conn *c, const char *loc, int status) {
  fws_client_cfg *cfg = c->cfg;
  const fws_url *cur = cur_url(c);
  fws_url *next = calloc(1, sizeof *next);
  char err[160], msg[FWS_DETAIL_MAX + 200], *shown;
  c->http_status = status;
  c->fail_kind = FWS_ERR_REDIRECT;
  if (!next) {
    set_fail(c, "out of memory");
    return 1;
  }
  if (fws_url_resolve(cur, loc ? loc : "", next, err, sizeof err)) {
    free(next);
    snprintf(msg, sizeof msg, "redirect refused: HTTP %d with an unusable Location (%s)", status, err);
    set_fail(c, msg);
    return 1;
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
    return 1;
  }
  if (c->pending) {
    fws_url_free(c->pending);
    free(c->pending);
  }
  c->pending = next;
  return 1;
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
  if (c->target) {
    fws_url_free(c->target);
    free(c->target);
  }
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

/* lws' words for an upgrade answer it did not take, as a user can act on them. */
static const struct {
  const char *lws, *ours;
} hs_reasons[] = {
    {"HS: ACCEPT missing", "the answer has no Sec-WebSocket-Accept"},
    {"HS: Accept hash wrong", "the answer's Sec-WebSocket-Accept does not match the key sent"},
    {"HS: UPGRADE missing", "the answer has no Upgrade header"},
    {"HS: Upgrade to something other than websocket", "the answer upgrades to something other than websocket"},
    {"HS: UPGRADE malformed", "the answer's Connection header does not say Upgrade"},
    {"HS: URI missing", "the answer is not HTTP"},
    {"HS: :status missing", "the answer is not HTTP"},
    {"problems parsing header", "the answer's headers do not parse"},
    {"Peer hung up", "the server closed the connection without answering the upgrade"},
    {"HS: EXT: unknown ext", "the server answered with an extension that was not offered"},
    {"HS: EXT: Rejects server options", "the server answered with extension options that were not offered"},
};

/* When fws_tls.c saw nothing telling: what OpenSSL left in its queue, if anything, then cleared. */
static void tls_reason(char *msg, size_t n, const char *why) {
  unsigned long e = ERR_peek_last_error();
  int r = ERR_GET_REASON(e);
  ERR_clear_error();
  if (r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG || r == SSL_R_RECORD_LENGTH_MISMATCH ||
      r == SSL_R_HTTP_REQUEST || r == SSL_R_UNEXPECTED_MESSAGE || r == SSL_R_UNEXPECTED_RECORD)
    snprintf(msg, n, "TLS handshake failed: the server does not speak TLS (a plain ws:// server?)");
  else if (e && ERR_reason_error_string(e))
    snprintf(msg, n, "TLS handshake failed: %s", ERR_reason_error_string(e));
  else if (!strncmp(why, "connect SYSCALL", 15))
    snprintf(msg, n, "TLS handshake failed: the server closed the connection");
  else if (strstr(why, "waiting SSL"))
    snprintf(msg, n, "TLS handshake failed: the server did not answer it (timed out; a plain ws:// server?)");
  else
    snprintf(msg, n, "TLS handshake failed");
}

void fws_client_on_conn_error(fws_conn *c, const char *why) {
  char msg[FWS_DETAIL_MAX + 128];
  const char *where = c->peer_addr;
  size_t i;
  if (!why) why = "";
  fws_client_probe_close(c, 1);
  if (c->pending && !c->user_closed) {  /* a redirect to follow */
    follow(c);
    return;
  }
  /* A plain connect failure with more addresses of the name left: try the next one (from a
  ** timer: this runs inside the dying wsi's callback). */
  if (!c->user_closed && !c->tls_err && !c->fail_msg && !c->http_status && !c->hs_sent &&
      c->addr_idx + 1 < c->naddrs) {
    lws_sul_cancel(&c->sul);
    c->addr_idx++;
    c->next_addr = 1;
    fws_client_arm_retry(c, 0.0);
    return;
  }
  if (c->tls_err) {
    c->fail_kind = FWS_ERR_TLS;
    snprintf(msg, sizeof msg, "certificate verify failed: %s", X509_verify_cert_error_string(c->tls_err));
    ERR_clear_error();
  } else if (c->fail_msg) {
    snprintf(msg, sizeof msg, "%s", c->fail_msg);
  } else if (!strncmp(why, "connect SSL", 11) || !strncmp(why, "connect SYSCALL", 15) ||
             strstr(why, "waiting SSL")) {
    c->fail_kind = FWS_ERR_TLS;
    if (!fws_tls_reason(c->wsi, msg, sizeof msg)) tls_reason(msg, sizeof msg, why);
  } else if (c->http_status && c->http_status != 101) {
    c->fail_kind = FWS_ERR_HANDSHAKE;
    if (c->fail_detail_len)
      snprintf(msg, sizeof msg, "handshake refused: HTTP %d: %s", c->http_status, c->fail_detail);
    else
      snprintf(msg, sizeof msg, "handshake refused: HTTP %d", c->http_status);
  } else if (c->http_status == 101 || !strncmp(why, "HS:", 3) || c->hs_sent) {
    const char *ours = NULL;
    c->fail_kind = FWS_ERR_HANDSHAKE;
    for (i = 0; i < sizeof hs_reasons / sizeof *hs_reasons; i++)
      if (!strcmp(why, hs_reasons[i].lws)) ours = hs_reasons[i].ours;
    if (!strcmp(why, "HS: PROTOCOL malformed") || !strcmp(why, "ws protocol no match"))
      snprintf(msg, sizeof msg, "handshake failed: subprotocol mismatch: offered %s, the server answered %s",
               c->cfg->subprotocol && !c->cfg->subprotocol_secret ? c->cfg->subprotocol : "(a key)",
               c->subprotocol ? c->subprotocol : "none");
    else
      snprintf(msg, sizeof msg, "handshake failed: %s", ours ? ours : (!strncmp(why, "HS: ", 4) ? why + 4 : why));
  } else if (c->tcp_refused || !strcmp(why, "Unable to connect")) {
    snprintf(msg, sizeof msg, "connect failed: %s (%s)", c->tcp_refused ? "connection refused" : "cannot reach the server",
             where);
  } else {
    snprintf(msg, sizeof msg, "connect failed: %.200s (%s)", *why ? why : "unknown reason", where);
  }
  fws_client_ended(c, msg, c->http_status, 1006, NULL, 0, 0);
}

/* The upgrade answer's headers are in (inside lws, before it judges them). Remembers the status
** and the subprotocol answered; refuses HTTP/1.0; a refusal's body is read for its reason. */
void fws_client_on_http_answer(fws_conn *c, struct lws *wsi) {
  int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);
  c->http_status = (int)lws_http_client_http_response(wsi);
  free(c->subprotocol);
  c->subprotocol = NULL;
  if (n > 0 && (c->subprotocol = malloc((size_t)n + 1)) &&
      lws_hdr_copy(wsi, c->subprotocol, n + 1, WSI_TOKEN_PROTOCOL) < 0) {
    free(c->subprotocol);
    c->subprotocol = NULL;
  }
  if (c->http_status != 101) {
    char b[LWS_PRE + 512], *p = b + LWS_PRE;
    int len = (int)sizeof b - LWS_PRE;
    c->fail_kind = FWS_ERR_HANDSHAKE;
    /* what already came with the headers: fws_client_on_http_body gets it */
    (void)lws_http_client_read(wsi, &p, &len);
  }
}

/* A refused upgrade's body: printable characters, runs of white space as one, cut short. */
void fws_client_on_http_body(fws_conn *c, const char *in, size_t len) {
  char buf[FWS_DETAIL_MAX];
  size_t n = c->fail_detail_len, i;
  if (n) memcpy(buf, c->fail_detail, n);
  for (i = 0; i < len && n < sizeof buf; i++) {
    unsigned char ch = (unsigned char)in[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      if (n && buf[n - 1] != ' ') buf[n++] = ' ';
    } else {
      buf[n++] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
    }
  }
  while (n && buf[n - 1] == ' ') n--;
  set_detail(c, buf, n);
}

/* Closes our reference to the attempt's socket (do_connect), first reading whether
** the TCP connect was refused: lws read and cleared SO_ERROR already, but a socket whose connect
** was answered by a reset is left in TCP_CLOSE without ever having been established. */
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

/* ---- headers ---- */

void fws_client_append_headers(fws_conn *c, struct lws *wsi, unsigned char **p,
                               unsigned char *end) {
  fws_client_cfg *cfg = c->cfg;
  size_t i;
  c->hs_sent = 1;
  fws_client_probe_close(c, 0); /* connected: it must not hold the socket open */
  if (c->cross) return;  /* another origin gets none of them: they may carry credentials */
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
    c->tls_err = 0;
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
      c->tls_err || c->fail_kind == FWS_ERR_REDIRECT) {
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
