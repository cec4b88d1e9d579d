/*
** fws_server.c: listening vhosts, and the server half of the upgrade (RFC 6455 4.2): the request
** read and judged by us, the accept callback, the 101 or the refusal written by us.
**
** The listening socket is ours: bound here and handed to lws as a raw file descriptor, so that
** lws polls it (and a host loop's descriptor can hold it: fws_pollfd.c; lws keeps the socket of
** its own listeners private). When it is readable we accept, and lws adopts each new socket as a
** raw socket on the server's vhost (with lws doing the TLS of a wss listener), as lws' own
** listener would. Each new socket gets a conn at once, in FWS_PH_HTTP, with handshake_timeout (10 s) to
** send its whole request; it counts against max_peers from then on, but is nobody's (no event,
** not in fws_loop_active) until the accept callback took it.
*/
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/fws_int.h"

#define FWS_ACCEPT_BURST 64  /* connections taken per service pass: the rest wait for the next */

static fws_server *server_of(struct lws *wsi) {
  return lws_get_vhost_user(lws_get_vhost(wsi));
}

/* ---- the request seen by the accept callback ---- */

const char *fws_request_target(const fws_request *req) { return req->head->target; }
const char *fws_request_subprotocols(const fws_request *req) { return req->protocols; }

/* Every line of that name, joined with ", " (RFC 7230 3.2.2), cached for the callback. */
static const char *joined(fws_request *r, const char *name) {
  const fws_http_head *h = r->head;
  struct fws_reqhdr *c;
  size_t i, n = 0;
  char *v, *p;
  for (c = r->cache; c; c = c->next)
    if (!strcasecmp(c->name, name)) return c->value;
  for (i = 0; i < h->nh; i++)
    if (!strcasecmp(h->hname[i], name)) n += strlen(h->hvalue[i]) + 2;
  if (!n || !(v = malloc(n + 1)) || !(c = malloc(sizeof *c + strlen(name) + 1))) {
    if (n) free(v);
    return NULL;
  }
  p = v;
  for (i = 0; i < h->nh; i++)
    if (!strcasecmp(h->hname[i], name)) p += sprintf(p, p == v ? "%s" : ", %s", h->hvalue[i]);
  strcpy(c->name, name);
  c->value = v;
  c->next = r->cache;
  r->cache = c;
  return v;
}

const char *fws_request_header(const fws_request *req, const char *name) {
  return joined((fws_request *)req, name);
}

void fws_request_headers(const fws_request *req,
                         void (*fn)(const char *name, const char *value, void *ud), void *ud) {
  const fws_http_head *h = req->head;
  size_t i, j;
  for (i = 0; i < h->nh; i++) {
    char name[128];
    const char *v;
    for (j = 0; j < i; j++)  /* each name once */
      if (!strcasecmp(h->hname[j], h->hname[i])) break;
    if (j < i || strlen(h->hname[i]) >= sizeof name) continue;
    for (j = 0; h->hname[i][j]; j++)
      name[j] = (char)((h->hname[i][j] >= 'A' && h->hname[i][j] <= 'Z') ? h->hname[i][j] + 32 : h->hname[i][j]);
    name[j] = '\0';
    if ((v = joined((fws_request *)req, name))) fn(name, v, ud);
  }
}

static void request_free(fws_request *r) {
  while (r->cache) {
    struct fws_reqhdr *h = r->cache;
    r->cache = h->next;
    free(h->value);
    free(h);
  }
}

/* "1.2.3.4:port" or "[::1]:port"; v4-mapped IPv6 (a dual-stack listener) shown as IPv4. */
static void peer_name(struct lws *wsi, char *out, size_t outlen) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (!getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&ss, &sl)) {
    if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      port = ntohs(a->sin6_port);
      if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
        inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof ip);
        snprintf(out, outlen, "%s:%d", ip, port);
        return;
      }
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
      snprintf(out, outlen, "[%s]:%d", ip, port);
      return;
    }
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
      port = ntohs(a->sin_port);
    }
  }
  snprintf(out, outlen, "%s:%d", ip, port);
}

static const char *status_text(int st) {
  switch (st) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Refused";
  }
}

/* An HTTP refusal, then the socket closes once it has gone. Never quotes the request. */
static int refuse(fws_conn *c, int status, const char *reason, const char *extra) {
  unsigned char buf[LWS_PRE + 768];
  char *p = (char *)buf + LWS_PRE;
  size_t rl = reason ? strlen(reason) : 0;
  int n;
  if (status < 100 || status > 999) status = 403;
  if (rl > 256) rl = 256;
  n = snprintf(p, sizeof buf - LWS_PRE,
               "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
               status, status_text(status), extra ? extra : "", rl, (int)rl, reason ? reason : "");
  c->phase = FWS_PH_DONE;
  c->user_closed = 1;
  if (n > 0 && c->wsi) fws_conn_write(c, c->wsi, (unsigned char *)p, (size_t)n);
  c->hangup_due = 1;
  if (c->wsi) lws_callback_on_writable(c->wsi);
  return 0;
}

int fws_server_on_adopt(struct lws *wsi) {
  fws_server *s = server_of(wsi);
  fws_conn *peer;
  if (!s || s->closed) return -1;
  s->loop->activity++;
  s->loop->after_poll = 1;
  if (!(peer = fws_conn_alloc(s->loop))) return -1;
  peer->srv = s;
  peer->state = FWS_CONN_CONNECTING;
  peer->phase = FWS_PH_HTTP;
  peer->released = 1;  /* the server's until the accept callback gives it to the user */
  peer->max_message = s->max_message;
  peer->queue_limit = s->peer_queue_limit;
  peer->queue_bytes = s->peer_queue_bytes;
  peer->q.total = &s->queued;
  peer->message_us = s->message_us;
  peer->wsi = wsi;
  lws_set_opaque_user_data(wsi, peer);
  fws_pollfd_add(s->loop, lws_get_socket_fd(wsi));
  peer_name(wsi, peer->peer_addr, sizeof peer->peer_addr);
  peer->snext = s->peers;
  if (peer->snext) peer->snext->sprev = peer;
  s->peers = peer;
  peer->peer_counted = 1;
  s->npeers++;
  /* a socket that never sends its whole request cannot hold a place */
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, s->handshake_secs);
  if (s->npeers > s->max_peers) refuse(peer, 503, "server full: too many connections", NULL);
  return 0;
}

/* The whole request is in c->head: judge it, ask the accept callback, answer. */
static int judge_request(fws_conn *c, unsigned char *rest, size_t nrest) {
  fws_server *s = c->srv;
  fws_http_head *h = c->head;
  fws_request req;
  fws_accept acc;
  const char *key, *ver;
  char err[160], accept_v[29];
  unsigned char buf[LWS_PRE + 400];
  char *p = (char *)buf + LWS_PRE;
  int n;
  if (fws_http_parse(h, 0, err, sizeof err)) return refuse(c, 400, err, NULL);
  if (strcmp(h->method, "GET") || !fws_http_has_token(h, "Upgrade", "websocket"))
    return refuse(c, 400, "WebSocket only", NULL);  /* plain HTTP on a WebSocket server */
  if (h->minor != 1) return refuse(c, 400, "an upgrade needs HTTP/1.1", NULL);
  if (!fws_http_has_token(h, "Connection", "upgrade")) return refuse(c, 400, "Connection: Upgrade is missing", NULL);
  if (fws_http_count(h, "Host") != 1) return refuse(c, 400, "one Host header is required", NULL);
  ver = fws_http_get(h, "Sec-WebSocket-Version");
  if (!ver || strcmp(ver, "13") || fws_http_count(h, "Sec-WebSocket-Version") != 1)
    return refuse(c, 426, "Sec-WebSocket-Version 13 is required", "Sec-WebSocket-Version: 13\r\n");
  key = fws_http_get(h, "Sec-WebSocket-Key");
  if (!fws_http_key_ok(key) || fws_http_count(h, "Sec-WebSocket-Key") != 1)
    return refuse(c, 400, "Sec-WebSocket-Key is missing or not 16 bytes in base64", NULL);
  memset(&req, 0, sizeof req);
  memset(&acc, 0, sizeof acc);
  req.head = h;
  req.protocols = fws_http_get(h, "Sec-WebSocket-Protocol") ? (char *)joined(&req, "Sec-WebSocket-Protocol") : NULL;
  if (s->cb) {
    c->released = 0;  /* the callback may keep the handle */
    s->cb(s, c, &req, &acc, s->user);
  }
  if (acc.status || c->user_closed) {
    int st = acc.status ? acc.status : 403;
    c->released = 1;
    request_free(&req);
    return refuse(c, st, acc.reason, NULL);
  }
  if (acc.cb) {
    c->cb = acc.cb;
    c->user = acc.user;
  }
  if (!s->cb) c->released = 1;  /* nobody holds it: the server owns it */
  free(c->subprotocol);
  c->subprotocol = NULL;
  if (req.protocols && acc.subprotocol && fws_http_listed(req.protocols, acc.subprotocol) &&
      !strpbrk(acc.subprotocol, "\r\n,"))
    c->subprotocol = strdup(acc.subprotocol);
  request_free(&req);
  fws_http_accept(key, accept_v);
  n = snprintf(p, sizeof buf - LWS_PRE,
               "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n%s%.200s%s\r\n",
               accept_v, c->subprotocol ? "Sec-WebSocket-Protocol: " : "", c->subprotocol ? c->subprotocol : "",
               c->subprotocol ? "\r\n" : "");
  if (n < 0 || (size_t)n >= sizeof buf - LWS_PRE || fws_conn_write(c, c->wsi, (unsigned char *)p, (size_t)n)) {
    c->phase = FWS_PH_DONE;
    return -1;
  }
  lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
  fws_conn_on_open(c);
  if (nrest && c->phase == FWS_PH_WS) fws_wsread_feed(c, rest, nrest);  /* frames right behind it */
  return 0;
}

int fws_server_on_bytes(fws_conn *c, unsigned char *p, size_t n) {
  char err[160];
  size_t used;
  int r;
  if (c->phase != FWS_PH_HTTP) return 0;
  if (!c->head && !(c->head = calloc(1, sizeof *c->head))) return refuse(c, 500, "out of memory", NULL);
  /* a request starts with a method: anything else (a TLS hello to a plain listener) is refused
  ** at its first byte, not after the handshake timeout */
  if (!c->head->len && n && !(p[0] >= 'A' && p[0] <= 'Z')) return refuse(c, 400, "not an HTTP request", NULL);
  r = fws_http_collect(c->head, p, n, &used, err, sizeof err);
  if (r < 0) return refuse(c, 431, err, NULL);
  if (r == 0) return 0;
  return judge_request(c, p + used, n - used);
}

/* ---- the listener ---- */

/* A bound, listening, non-blocking socket for host:port; -1 with err. NULL or "" host: every
** address, IPv6 and IPv4 together where the system allows. */
static int open_listener(const char *host, int port, char *err, size_t errlen) {
  struct addrinfo hints, *res = NULL, *ai;
  char ps[8];
  int fd = -1, rc, e = 0, one = 1;
  const char *shown = host && *host ? host : "*";
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(ps, sizeof ps, "%d", port);
  if (!host || !*host) hints.ai_family = AF_INET6;  /* [::], with IPV6_V6ONLY off below */
  rc = getaddrinfo(host && *host ? host : NULL, ps, &hints, &res);
  if (rc && (!host || !*host)) {  /* no IPv6 here: 0.0.0.0 */
    hints.ai_family = AF_INET;
    rc = getaddrinfo(NULL, ps, &hints, &res);
  }
  if (rc) {
    fws_set_err(err, errlen, "cannot listen on %s port %d: %s", shown, port, gai_strerror(rc));
    return -1;
  }
  for (ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      e = errno;
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6 && (!host || !*host)) {
      int off = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, SOMAXCONN)) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) fws_set_err(err, errlen, "cannot listen on %s port %d: %s", shown, port, strerror(e));
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl)) return -1;
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The listener is readable: take what waits (a burst at most), each adopted by lws as a raw
** socket of the server's vhost. Returns -1 to have lws close the listener. */
int fws_server_on_listen(struct lws *wsi) {
  fws_server *s = server_of(wsi);
  int i, lfd = lws_get_socket_fd(wsi);
  if (!s || s->closed || s->lwsi != wsi) return -1;
  for (i = 0; i < FWS_ACCEPT_BURST; i++) {
    lws_sock_file_fd_type fd;
    int one = 1;
    fd.sockfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd.sockfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      break;  /* EAGAIN: none left; EMFILE and the like: they wait in the backlog */
    }
    s->loop->activity++;
    s->loop->after_poll = 1;
    setsockopt(fd.sockfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* on failure lws closes the socket; fws_server_on_adopt (RAW_ADOPT) makes the peer */
    lws_adopt_descriptor_vhost(s->vh, LWS_ADOPT_SOCKET | (s->tls ? LWS_ADOPT_ALLOW_SSL : 0), fd,
                               s->protocols[0].name, NULL);
    if (s->closed) break;  /* closed from the accept callback */
  }
  return 0;
}

/* lws switches a TLS connection to the vhost whose name (else the first whose port) matches the
** client's SNI name. Our vhosts all have the port of a vhost with no lws listener, so any server
** would answer with the first one's certificate: each listener keeps its own. */
void fws_server_on_tls_ctx(void *ssl_ctx) {
  if (ssl_ctx) SSL_CTX_set_tlsext_servername_callback((SSL_CTX *)ssl_ctx, NULL);
}

void fws_server_on_listen_gone(struct lws *wsi) {
  fws_server *s = server_of(wsi);
  if (s && s->lwsi == wsi) s->lwsi = NULL;
}

/* ---- servers ---- */

fws_server *fws_server_listen(fws_loop *loop, const fws_server_opts *o, fws_accept_cb cb,
                              void *user, char *err, size_t errlen) {
  struct lws_context_creation_info info;
  lws_sock_file_fd_type lfd;
  fws_server *s;
  if (!loop || !o || loop->freeing) {
    fws_set_err(err, errlen, "no loop or no options");
    return NULL;
  }
  if ((o->cert_file != NULL) != (o->key_file != NULL)) {
    fws_set_err(err, errlen, "TLS needs both cert_file and key_file");
    return NULL;
  }
  if (o->port < 0 || o->port > 65535) {
    fws_set_err(err, errlen, "bad port %d", o->port);
    return NULL;
  }
  if (!(s = calloc(1, sizeof *s))) {
    fws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  s->loop = loop;
  s->cb = cb;
  s->user = user;
  s->max_message = o->max_message_size ? o->max_message_size : FWS_DEFAULT_MAX_MESSAGE;
  s->peer_queue_limit = o->peer_queue_limit ? o->peer_queue_limit : FWS_DEFAULT_PEER_QUEUE;
  s->peer_queue_bytes = o->peer_queue_bytes ? o->peer_queue_bytes : FWS_DEFAULT_PEER_QUEUE_BYTES;
  s->queue_total = o->queue_total ? o->queue_total : FWS_DEFAULT_QUEUE_TOTAL;
  s->assembly_total = o->assembly_total ? o->assembly_total : FWS_DEFAULT_ASSEMBLY_TOTAL;
  s->max_peers = o->max_peers > 0 ? o->max_peers : FWS_DEFAULT_MAX_PEERS;
  s->message_us = fws_message_us(o->message_timeout);
  s->handshake_secs = o->handshake_timeout > 0 ? (int)(o->handshake_timeout + 0.999) : FWS_HANDSHAKE_SECS;
  s->ping_interval = o->ping_interval;
  s->ping_timeout = o->ping_timeout;
  s->tls = o->cert_file != NULL;
  s->protocols[0].name = "fws";
  s->protocols[0].callback = fws_lws_callback;
  s->protocols[0].tx_packet_size = FWS_WRITE_CHUNK + FWS_OUT_SLACK;
  snprintf(s->vhname, sizeof s->vhname, "fws-srv-%d", ++loop->vhseq);
  lfd.sockfd = open_listener(o->host, o->port, err, errlen);
  if (lfd.sockfd < 0) {
    free(s);
    return NULL;
  }
  s->port = bound_port(lfd.sockfd);
  /* a vhost with no listener of its own: it holds the protocol and a wss server's TLS */
  memset(&info, 0, sizeof info);
  info.vhost_name = s->vhname;
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = s->protocols;
  info.retry_and_idle_policy = fws_retry_policy();
  info.user = s;
  if (o->cert_file) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o->cert_file;
    info.ssl_private_key_filepath = o->key_file;
  }
  s->vh = lws_create_vhost(loop->ctx, &info);
  if (!s->vh) {
    fws_set_err(err, errlen, o->cert_file ? "cannot load the certificate or key (cert_file, key_file)"
                                          : "cannot create the server's vhost");
    close(lfd.sockfd);
    free(s);
    return NULL;
  }
  s->next = loop->servers;
  if (s->next) s->next->prev = s;
  loop->servers = s;
  loop->nservers++;
  /* lws polls it (a raw file, which lws does not close when adopting it fails) */
  s->lwsi = lws_adopt_descriptor_vhost(s->vh, LWS_ADOPT_RAW_FILE_DESC, lfd, s->protocols[0].name, NULL);
  if (!s->lwsi) {
    close(lfd.sockfd);
    fws_set_err(err, errlen, "cannot listen on %s port %d: out of memory", o->host ? o->host : "*", o->port);
    fws_server_close(s);
    s->released = 1;
    return NULL;
  }
  lws_set_opaque_user_data(s->lwsi, NULL);
  fws_pollfd_add(loop, lfd.sockfd);
  return s;
}

int fws_server_port(const fws_server *s) { return s->port; }

void fws_server_unlink_peer(fws_conn *c) {
  fws_server *s = c->srv;
  if (!s) return;
  /* what it holds leaves the server's totals with it */
  if (c->q.total == &s->queued) {
    s->queued -= c->q.bytes;
    c->q.total = NULL;
  }
  s->rx_total -= c->rx_len;
  if (c->peer_counted) {
    c->peer_counted = 0;
    s->npeers--;
  }
  if (c->sprev) c->sprev->snext = c->snext;
  else if (s->peers == c) s->peers = c->snext;
  if (c->snext) c->snext->sprev = c->sprev;
  c->sprev = c->snext = NULL;
  c->srv = NULL;
}

static void server_free(fws_server *s) {
  fws_loop *loop = s->loop;
  while (s->peers) fws_server_unlink_peer(s->peers);
  if (s->prev) s->prev->next = s->next;
  else loop->servers = s->next;
  if (s->next) s->next->prev = s->prev;
  if (!s->closed) loop->nservers--;
  free(s);
}

void fws_server_close(fws_server *s) {
  fws_conn *c, *next;
  if (!s || s->closed) return;
  s->closed = 1;
  s->loop->nservers--;
  for (c = s->peers; c; c = next) {
    next = c->snext;
    if (c->established) {
      fws_conn_close(c, 1001, "server closing", 14);
    } else {  /* an upgrade under way: just the socket */
      c->user_closed = 1;
      c->phase = FWS_PH_DONE;
      fws_conn_kill(c);
    }
  }
  /* The listener goes now (from inside lws_service: on its next pass); peers finish their close
  ** on their own wsi. lws keeps the vhost (and so our protocol table) until its last wsi is
  ** gone, so the struct stays until then. */
  if (s->lwsi)
    lws_set_timeout(s->lwsi, PENDING_TIMEOUT_USER_OK, s->loop->in_service ? LWS_TO_KILL_ASYNC : LWS_TO_KILL_SYNC);
  lws_vhost_destroy(s->vh);
}

void fws_server_release(fws_server *s) {
  if (!s) return;
  fws_server_close(s);
  s->released = 1;
}

void fws_server_free_all(fws_loop *loop) {
  while (loop->servers) server_free(loop->servers);
}
