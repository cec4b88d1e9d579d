/*
** fws_server.c: listening vhosts and the upgrade decision.
**
** The accept callback runs in LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, inside lws_service: it is the
** one user callback that must be decided there. Refusing answers a real HTTP status
** (lws_return_http_status) before any WebSocket state exists.
**
** Subprotocols: lws 4.1.6 binds an upgrade to the vhost protocol whose *name* equals the first
** offered subprotocol it knows, and refuses the upgrade when it knows none. A client may offer
** anything ("token, KEY" carries an API key), so each server has one protocol whose name is a
** buffer we set to the first offered token just before lws looks (the protocol table keeps our
** name pointer). lws then answers "Sec-WebSocket-Protocol: <that token>"; in ADD_HEADERS we take
** those exact bytes back and write the subprotocol the accept callback chose, or none.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/fws_int.h"

#define FWS_PNAME "fws"

static const char hdr_proto[] = "Sec-WebSocket-Protocol: ";

static fws_server *server_of(struct lws *wsi) {
  return lws_get_vhost_user(lws_get_vhost(wsi));
}

/* ---- the request seen by the accept callback ---- */

/* lws decodes %XX in the path and each query parameter; encode again what needs it. */
static void put_encoded(char **o, const char *s, size_t n, const char *keep) {
  static const char hx[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        strchr("-._~", ch) || (ch && strchr(keep, ch))) {
      *(*o)++ = (char)ch;
    } else {
      *(*o)++ = '%';
      *(*o)++ = hx[ch >> 4];
      *(*o)++ = hx[ch & 15];
    }
  }
}

static char *build_target(struct lws *wsi) {
  int plen = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
  int alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
  char *path, *out, *o;
  int n;
  if (plen < 0) plen = 0;
  if (alen < 0) alen = 0;
  path = malloc((size_t)plen + 1);
  out = malloc((size_t)(plen + alen) * 3 + 8);
  if (!path || !out) {
    free(path);
    free(out);
    return NULL;
  }
  if (plen == 0 || lws_hdr_copy(wsi, path, plen + 1, WSI_TOKEN_GET_URI) < 0) strcpy(path, "/");
  o = out;
  put_encoded(&o, path, strlen(path), "/!$&'()*+,;=:@");
  free(path);
  if (alen > 0) {
    char *frag = malloc((size_t)alen + 1);
    if (!frag) {
      free(out);
      return NULL;
    }
    *o++ = '?';
    for (n = 0; lws_hdr_copy_fragment(wsi, frag, alen + 1, WSI_TOKEN_HTTP_URI_ARGS, n) >= 0; n++) {
      char *eq = strchr(frag, '=');
      if (n) *o++ = '&';
      if (eq) {
        put_encoded(&o, frag, (size_t)(eq - frag), "");
        *o++ = '=';
        put_encoded(&o, eq + 1, strlen(eq + 1), "=");
      } else {
        put_encoded(&o, frag, strlen(frag), "");
      }
    }
    free(frag);
  }
  *o = '\0';
  return out;
}

const char *fws_request_target(const fws_request *req) { return req->target; }
const char *fws_request_subprotocols(const fws_request *req) { return req->protocols; }

static char *copy_token(struct lws *wsi, enum lws_token_indexes t) {
  int n = lws_hdr_total_length(wsi, t);
  char *v;
  if (n <= 0 || !(v = malloc((size_t)n + 1))) return NULL;
  if (lws_hdr_copy(wsi, v, n + 1, t) < 0) {
    free(v);
    return NULL;
  }
  return v;
}

/* Known headers are parsed into lws tokens; others are "custom" headers, found by name. */
static int token_of(const char *name) {
  size_t n = strlen(name);
  int t;
  for (t = 0; t < WSI_TOKEN_COUNT; t++) {
    const unsigned char *s = lws_token_to_string((enum lws_token_indexes)t);
    if (s && strlen((const char *)s) == n + 1 && s[n] == ':' &&
        !strncasecmp((const char *)s, name, n))
      return t;
  }
  return -1;
}

const char *fws_request_header(const fws_request *req, const char *name) {
  fws_request *r = (fws_request *)req;  /* values are cached for the callback's duration */
  int t = token_of(name), n;
  char *v = NULL, key[80];
  struct fws_reqhdr *h;
  for (h = r->cache; h; h = h->next)
    if (!strcasecmp(h->name, name)) return h->value;
  if (t >= 0) {
    v = copy_token(r->wsi, (enum lws_token_indexes)t);
  } else if (strlen(name) < sizeof key - 1) {
    snprintf(key, sizeof key, "%s:", name);
    n = lws_hdr_custom_length(r->wsi, key, (int)strlen(key));
    if (n < 0) {
      for (char *p = key; *p; p++) *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
      n = lws_hdr_custom_length(r->wsi, key, (int)strlen(key));
    }
    if (n >= 0 && (v = malloc((size_t)n + 1)) &&
        lws_hdr_custom_copy(r->wsi, v, n + 1, key, (int)strlen(key)) < 0) {
      free(v);
      v = NULL;
    }
  }
  if (!v) return NULL;
  h = malloc(sizeof *h + strlen(name) + 1);
  if (!h) {
    free(v);
    return NULL;
  }
  strcpy(h->name, name);
  h->value = v;
  h->next = r->cache;
  r->cache = h;
  return v;
}

void fws_request_headers(const fws_request *req,
                         void (*fn)(const char *name, const char *value, void *ud), void *ud) {
  int t;
  for (t = 0; t < WSI_TOKEN_COUNT; t++) {
    const char *s = (const char *)lws_token_to_string((enum lws_token_indexes)t);
    char name[64];
    size_t n;
    const char *v;
    if (!s || !(n = strlen(s)) || s[0] == ':' || s[n - 1] != ':' || n >= sizeof name) continue;
    if (lws_hdr_total_length(req->wsi, (enum lws_token_indexes)t) <= 0) continue;
    memcpy(name, s, n - 1);
    name[n - 1] = '\0';
    if ((v = fws_request_header(req, name))) fn(name, v, ud);
  }
}

static void request_free(fws_request *r) {
  while (r->cache) {
    struct fws_reqhdr *h = r->cache;
    r->cache = h->next;
    free(h->value);
    free(h);
  }
  free(r->target);
  free(r->protocols);
}

/* Is `want` one of the comma separated names the client offered? */
static int offered(const char *list, const char *want) {
  size_t wl = strlen(want);
  const char *p = list;
  while (p && *p) {
    size_t n;
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    n = strcspn(p, ",");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n == wl && !strncmp(p, want, n)) return 1;
    p += strcspn(p, ",");
  }
  return 0;
}

/* The first name lws' tokenizer will meet in the offered list. */
static int first_token(const char *list, char *out, size_t outlen) {
  struct lws_tokenize ts;
  lws_tokenize_elem e;
  lws_tokenize_init(&ts, list, LWS_TOKENIZE_F_COMMA_SEP_LIST | LWS_TOKENIZE_F_MINUS_NONTERM |
                                  LWS_TOKENIZE_F_DOT_NONTERM | LWS_TOKENIZE_F_RFC7230_DELIMS);
  ts.len = strlen(list);
  do {
    e = lws_tokenize(&ts);
    if (e == LWS_TOKZE_TOKEN) return lws_tokenize_cstr(&ts, out, outlen) ? -1 : 0;
  } while (e == LWS_TOKZE_DELIMITER);
  return -1;
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
    case 409: return "Conflict";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Refused";
  }
}

/* Our own refusal: lws_return_http_status answers "HTTP/1.0" at this stage (lws learns the
** request's version later), which strict clients (python websockets) reject. The response is
** small, so one write puts it all in the socket before the hang-up. */
static int refuse(struct lws *wsi, int status, const char *reason) {
  unsigned char buf[LWS_PRE + 640];
  char *p = (char *)buf + LWS_PRE;
  size_t rl = reason ? strlen(reason) : 0;
  int n;
  if (status < 100 || status > 999) status = 403;
  if (rl > 256) rl = 256;
  n = snprintf(p, sizeof buf - LWS_PRE,
               "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
               status, status_text(status), rl, (int)rl, reason ? reason : "");
  if (n > 0) lws_write(wsi, (unsigned char *)p, (size_t)n, LWS_WRITE_HTTP_FINAL);
  return -1;  /* lws hangs up */
}

int fws_server_confirm_upgrade(struct lws *wsi) {
  fws_server *s = server_of(wsi);
  fws_request req;
  fws_accept acc;
  fws_conn *peer;
  memset(&req, 0, sizeof req);
  memset(&acc, 0, sizeof acc);
  if (!s || s->closed) return refuse(wsi, 503, "server closing");
  s->loop->activity++;
  if (s->npeers >= s->max_peers) return refuse(wsi, 503, "server full: too many connections");
  req.wsi = wsi;
  req.target = build_target(wsi);
  req.protocols = copy_token(wsi, WSI_TOKEN_PROTOCOL);
  if (req.protocols) {  /* what lws would refuse after us, with no status: refuse it now */
    char first[sizeof s->pname];
    if (strlen(req.protocols) > 127 || first_token(req.protocols, first, sizeof first)) {
      request_free(&req);
      return refuse(wsi, 400, "Sec-WebSocket-Protocol list too long or malformed");
    }
  }
  if (!req.target || !(peer = fws_conn_alloc(s->loop))) {
    request_free(&req);
    return refuse(wsi, 500, "out of memory");
  }
  peer->srv = s;
  peer->state = FWS_CONN_CONNECTING;
  peer->max_message = s->max_message;
  peer->queue_limit = s->peer_queue_limit;
  peer->queue_bytes = s->peer_queue_bytes;
  peer->q.total = &s->queued;
  peer->message_us = s->message_us;
  peer_name(wsi, peer->peer_addr, sizeof peer->peer_addr);
  if (s->cb) {
    s->cb(s, peer, &req, &acc, s->user);
  } else {
    acc.status = 0;
    peer->released = 1;  /* nobody holds it: the server owns it */
  }
  if (acc.status || peer->user_closed) {
    int st = acc.status ? acc.status : 403;
    peer->released = 1;
    peer->user_closed = 1;
    fws_conn_maybe_free(peer);
    request_free(&req);
    return refuse(wsi, st, acc.reason);
  }
  if (acc.cb) {
    peer->cb = acc.cb;
    peer->user = acc.user;
  }
  if (req.protocols && acc.subprotocol && offered(req.protocols, acc.subprotocol))
    peer->subprotocol = strdup(acc.subprotocol);
  strcpy(s->pname, FWS_PNAME);
  if (req.protocols && first_token(req.protocols, s->pname, sizeof s->pname))
    strcpy(s->pname, FWS_PNAME);  /* lws will refuse this list itself */
  request_free(&req);
  peer->wsi = wsi;
  peer->peer_counted = 1;
  s->npeers++;
  lws_set_opaque_user_data(wsi, peer);
  peer->snext = s->peers;
  if (peer->snext) peer->snext->sprev = peer;
  s->peers = peer;
  fws_conn_set_alive(peer, 1);
  return 0;
}

int fws_server_add_headers(struct lws *wsi, void *in) {
  struct lws_process_html_args *a = in;
  fws_conn *c = lws_get_opaque_user_data(wsi);
  fws_server *s = server_of(wsi);
  char want[sizeof hdr_proto + sizeof s->pname + 2];
  size_t n;
  if (!c || !s || !c->srv || lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) <= 0) return 0;
  n = (size_t)snprintf(want, sizeof want, "%s%s\r\n", hdr_proto, s->pname);
  /* Only when the bytes lws just wrote are exactly what we expect. */
  if (!memcmp(a->p - n, want, n)) {  /* over 100 bytes of status line and headers precede */
    a->p -= n;
    a->max_len += (int)n;
  }
  strcpy(s->pname, FWS_PNAME);
  if (c->subprotocol) {
    int w = snprintf(a->p, (size_t)a->max_len, "%s%s\r\n", hdr_proto, c->subprotocol);
    if (w < 0 || w >= a->max_len) return 1;
    a->p += w;
    a->max_len -= w;
  }
  return 0;
}

/* ---- servers ---- */

fws_server *fws_server_listen(fws_loop *loop, const fws_server_opts *o, fws_accept_cb cb,
                              void *user, char *err, size_t errlen) {
  struct lws_context_creation_info info;
  fws_server *s;
  static int seq;
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
  s->ping_interval = o->ping_interval;
  s->ping_timeout = o->ping_timeout;
  strcpy(s->pname, FWS_PNAME);
  s->protocols[0].name = s->pname;
  s->protocols[0].callback = fws_lws_callback;
  s->protocols[0].rx_buffer_size = FWS_RX_BUF;
  snprintf(s->vhname, sizeof s->vhname, "fws-srv-%d", ++seq);
  memset(&info, 0, sizeof info);
  info.vhost_name = s->vhname;
  info.port = o->port;
  info.iface = o->host && *o->host ? o->host : NULL;
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
    fws_set_err(err, errlen, "cannot listen on %s port %d%s", info.iface ? info.iface : "*",
                o->port, o->cert_file ? " (or cannot load cert/key)" : "");
    free(s);
    return NULL;
  }
  s->port = lws_get_vhost_listen_port(s->vh);
  s->next = loop->servers;
  if (s->next) s->next->prev = s;
  loop->servers = s;
  loop->nservers++;
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
    fws_conn_close(c, 1001, "server closing", 14);
  }
  /* The listener goes now; peers finish their close on their own wsi. lws keeps the vhost
  ** (and so our protocol table) until its last wsi is gone, so the struct stays until then. */
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
