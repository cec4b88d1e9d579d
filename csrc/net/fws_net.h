/*
** fws_net: WebSocket connections on libwebsockets, with no knowledge of Fern or Lua.
**
** Threading and re-entrancy contract: every function here is called from one thread (the
** Lua state's). No user callback ever runs inside lws_service(): libwebsockets callbacks only
** queue events, and fws_loop_poll()/fws_loop_run() deliver them after the service pass returns.
** A user callback may therefore call any function of this header (send, close, connect, timers),
** except fws_loop_poll/run/free themselves.
**
** Lifetime: a connection handle stays valid until the user calls fws_conn_release(). After
** fws_conn_close() returns, no callback runs for that connection, even for events already queued.
*/
#ifndef FWS_NET_H
#define FWS_NET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fws_loop fws_loop;
typedef struct fws_conn fws_conn;
typedef struct fws_server fws_server;
typedef struct fws_timer fws_timer;

typedef enum fws_conn_state {
  FWS_CONN_RESOLVING,   /* name lookup running off-thread */
  FWS_CONN_CONNECTING,  /* TCP/TLS/HTTP upgrade under way */
  FWS_CONN_OPEN,
  FWS_CONN_CLOSING,     /* close sent, waiting for the peer or the socket */
  FWS_CONN_WAITING,     /* between reconnect attempts */
  FWS_CONN_CLOSED       /* final */
} fws_conn_state;

typedef enum fws_event_kind {
  FWS_EV_OPEN,          /* handshake done */
  FWS_EV_TEXT,          /* a whole text message: data/len */
  FWS_EV_BINARY,        /* a whole binary message: data/len */
  FWS_EV_CLOSE,         /* final close: code, data/len = reason; no reconnect follows */
  FWS_EV_ERROR,         /* a fault: data/len = message; status = HTTP status of a refused handshake or 0 */
  FWS_EV_RECONNECT,     /* a reconnect is scheduled: attempt (1-based), delay (seconds) */
  FWS_EV_DROPPED,       /* a queued message was given up: data/len = its bytes, binary flag */
  FWS_EV_PONG           /* keepalive answer arrived */
} fws_event_kind;

typedef struct fws_event {
  fws_event_kind kind;
  const char *data;     /* valid only during the callback */
  size_t len;
  int code;             /* CLOSE: close code (1005 when the peer gave none, 1006 abnormal) */
  int status;           /* ERROR: HTTP status of a refused handshake, else 0 */
  int binary;           /* DROPPED: whether the message was binary */
  int attempt;          /* RECONNECT */
  double delay;         /* RECONNECT: seconds until the attempt */
} fws_event;

typedef void (*fws_conn_cb)(fws_conn *conn, const fws_event *ev, void *user);

typedef struct fws_header {
  const char *name;
  const char *value;
} fws_header;

typedef struct fws_reconnect {
  int attempts;         /* 0: no reconnect */
  double min_delay;     /* seconds, first delay (default 1.0) */
  double max_delay;     /* seconds, cap (default 10.0) */
  double factor;        /* growth per attempt (default 1.3) */
  double jitter;        /* 0..1, fraction of the delay added at random (default 0.3) */
} fws_reconnect;

typedef struct fws_conn_opts {
  const char *url;              /* ws://host[:port]/path?query or wss://...; IPv6 as [::1] */
  const fws_header *headers;    /* extra request headers; values with CR or LF are refused */
  size_t nheaders;
  const char *subprotocol;      /* Sec-WebSocket-Protocol value, or NULL */
  const char *ca_file;          /* PEM file of trusted CAs, or NULL for the system store */
  int insecure;                 /* 1: do not verify the server certificate (explicit opt-out) */
  size_t max_message_size;      /* 0: 16 MiB; a bigger incoming message closes with 1009 */
  double ping_interval;         /* seconds between keepalive pings, 0: off */
  double ping_timeout;          /* seconds without a valid pong/data before hang-up, 0: off */
  double connect_timeout;       /* seconds, 0: 20 */
  size_t queue_limit;           /* messages held while not open; 0: sending while not open fails */
  fws_reconnect reconnect;
} fws_conn_opts;

/* Return codes of fws_conn_send */
enum { FWS_SEND_OK = 0, FWS_SEND_NOT_OPEN = 1, FWS_SEND_QUEUE_FULL = 2, FWS_SEND_CLOSED = 3, FWS_SEND_NOMEM = 4 };

/* The loop: one libwebsockets context, created on demand. NULL and err on failure. */
fws_loop *fws_loop_new(char *err, size_t errlen);
/* Closes every connection and server (no callbacks), frees the context. */
void fws_loop_free(fws_loop *loop);
/* Does ready work for at most budget_ms and returns at once when idle; never blocks.
** Returns the number of events delivered. */
int fws_loop_poll(fws_loop *loop, double budget_ms);
/* Blocks until nothing is left (no connection, server or timer), seconds pass (< 0: no limit),
** or fws_loop_stop(). Returns 1 when it ended because nothing was left, 0 otherwise. */
int fws_loop_run(fws_loop *loop, double seconds);
void fws_loop_stop(fws_loop *loop);
/* Connections, servers and timers alive. */
size_t fws_loop_active(const fws_loop *loop);

/* Timers, delivered like events (outside lws_service). The handle is valid until the callback
** has run or fws_timer_cancel() is called. */
typedef void (*fws_timer_cb)(fws_timer *t, void *user);
fws_timer *fws_timer_start(fws_loop *loop, double seconds, fws_timer_cb cb, void *user);
void fws_timer_cancel(fws_timer *t);

/* Client connections. NULL and err (never holding a header value) on invalid options. A
** connection that fails later reports FWS_EV_ERROR then (unless reconnecting) FWS_EV_CLOSE. */
fws_conn *fws_conn_connect(fws_loop *loop, const fws_conn_opts *opts, fws_conn_cb cb, void *user,
                           char *err, size_t errlen);
/* Copies the message. While open it is queued for the next writable moment; while not open it
** is held if queue_limit allows, else FWS_SEND_NOT_OPEN. */
int fws_conn_send(fws_conn *conn, int binary, const char *data, size_t len);
/* Works in every state, idempotent. code 0 means 1000. No callback runs after it returns. */
void fws_conn_close(fws_conn *conn, int code, const char *reason, size_t reason_len);
/* Closes (1001) if still open, and gives the handle back. */
void fws_conn_release(fws_conn *conn);
fws_conn_state fws_conn_get_state(const fws_conn *conn);
size_t fws_conn_queued(const fws_conn *conn);  /* messages waiting to be written */
void *fws_conn_user(const fws_conn *conn);
void fws_conn_set_callback(fws_conn *conn, fws_conn_cb cb, void *user);
/* Peer address as text ("127.0.0.1:50312"), for logs. */
const char *fws_conn_peer(const fws_conn *conn);

/* Servers. A handshake is offered to the accept callback before it completes: the callback reads
** the request, sets *status to refuse (e.g. 400, 401) with a reason, or returns the callback and
** user for the new peer connection. */
typedef struct fws_request fws_request;
const char *fws_request_target(const fws_request *req);   /* path with query, as sent */
/* A request header by name (case-insensitive), NULL when absent. */
const char *fws_request_header(const fws_request *req, const char *name);
/* Every header: calls fn for each name/value pair. */
void fws_request_headers(const fws_request *req,
                         void (*fn)(const char *name, const char *value, void *ud), void *ud);
const char *fws_request_subprotocols(const fws_request *req);

typedef struct fws_accept {
  int status;           /* 0: accept; else the HTTP status of the refusal */
  const char *reason;   /* refusal body */
  fws_conn_cb cb;       /* for the accepted peer */
  void *user;
  const char *subprotocol; /* the one to answer with, or NULL */
} fws_accept;

typedef void (*fws_accept_cb)(fws_server *srv, fws_conn *peer, const fws_request *req,
                              fws_accept *out, void *user);

typedef struct fws_server_opts {
  const char *host;             /* bind address: "127.0.0.1", "::1", "0.0.0.0" */
  int port;                     /* 0: the kernel picks one */
  const char *cert_file;        /* PEM; both set: wss */
  const char *key_file;
  size_t max_message_size;      /* 0: 16 MiB */
  double ping_interval;
  double ping_timeout;
  size_t peer_queue_limit;      /* per-peer outgoing messages held before DROPPED; 0: 1024 */
} fws_server_opts;

fws_server *fws_server_listen(fws_loop *loop, const fws_server_opts *opts, fws_accept_cb cb,
                              void *user, char *err, size_t errlen);
int fws_server_port(const fws_server *srv);
/* Stops listening and closes every peer (1001). No callback after it returns. */
void fws_server_close(fws_server *srv);
void fws_server_release(fws_server *srv);

#endif
