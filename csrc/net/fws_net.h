/*
** fws_net: WebSocket connections on libwebsockets, with no knowledge of Fern or Lua.
**
** Threading and re-entrancy contract: every function here is called from one thread (the
** Lua state's). No user callback ever runs inside lws_service(): libwebsockets callbacks only
** queue events, and fws_loop_poll()/fws_loop_run() deliver them after the service pass returns.
** A user callback may therefore call any function of this header (send, close, connect, timers),
** except fws_loop_poll/run/free themselves (those calls are ignored while the loop is busy).
**
** The one exception is the server accept callback (fws_accept_cb): the upgrade must be decided
** inside lws_service, so it runs there. It may read the request, fill in *out and keep the peer
** handle; it must not call fws_loop_poll/run/free (ignored if it does). Other calls are safe.
**
** Lifetime: a connection handle stays valid until the user calls fws_conn_release(). After
** fws_conn_close() returns, no callback runs for that connection, even for events already queued.
** fws_loop_free() frees every handle of the loop (connections, servers, timers) at once.
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
  FWS_EV_OPEN,          /* handshake done: data/len = the subprotocol the server chose (or empty) */
  FWS_EV_TEXT,          /* a whole text message: data/len */
  FWS_EV_BINARY,        /* a whole binary message: data/len */
  FWS_EV_CLOSE,         /* final close: code, data/len = reason; no reconnect follows */
  FWS_EV_ERROR,         /* a fault: data/len = message; status = HTTP status of a refused handshake or 0 */
  FWS_EV_RECONNECT,     /* a reconnect is scheduled: attempt (1-based), delay (seconds), code of the
                           close that ended the previous connection (1006 when it failed) */
  FWS_EV_DROPPED,       /* a queued message was given up: data/len = its bytes, binary flag */
  FWS_EV_PONG           /* keepalive answer arrived */
} fws_event_kind;

/* What an FWS_EV_ERROR is about: where the fault lies. */
typedef enum fws_err_kind {
  FWS_ERR_NETWORK,      /* name lookup, TCP connect, a connection lost, keepalive timeout */
  FWS_ERR_TLS,          /* certificate, host name, a server that does not speak TLS */
  FWS_ERR_HANDSHAKE,    /* the HTTP upgrade: refused (status), or an answer that is no upgrade */
  FWS_ERR_REDIRECT,     /* a 3xx answer not followed: status, detail = Location without its query */
  FWS_ERR_PROTOCOL,     /* the peer broke the WebSocket protocol after the upgrade */
  FWS_ERR_LIMIT         /* one of our bounds: a message too big, a full queue, a timeout */
} fws_err_kind;

typedef struct fws_event {
  fws_event_kind kind;
  const char *data;     /* valid only during the callback */
  size_t len;
  int code;             /* CLOSE: close code (1005 when the peer gave none, 1006 abnormal, 1009 when
                           we closed for a message over max_message_size); RECONNECT: see above */
  int status;           /* ERROR: HTTP status of a refused handshake or a redirect, else 0 */
  fws_err_kind err;     /* ERROR: the kind of fault */
  const char *detail;   /* ERROR: the server's own words (a refused handshake's body, printable
                           characters only, at most FWS_DETAIL_MAX bytes), the Location of a
                           redirect, or "" */
  size_t detail_len;
  int binary;           /* DROPPED: whether the message was binary */
  int attempt;          /* RECONNECT */
  double delay;         /* RECONNECT: seconds until the attempt */
} fws_event;

#define FWS_DETAIL_MAX 300

typedef void (*fws_conn_cb)(fws_conn *conn, const fws_event *ev, void *user);

typedef struct fws_header {
  const char *name;
  const char *value;
} fws_header;

/* Reconnect after a failure or an abnormal close, never after the peer closed with 1000, a 401
** or 403 handshake refusal, or a certificate verification failure. attempts counts tries since
** the last successful open. Delay n = min(max_delay, min_delay * factor^(n-1) * (1 + jitter*r)). */
typedef struct fws_reconnect {
  int attempts;         /* 0: no reconnect */
  double min_delay;     /* seconds, first delay (default 1.0) */
  double max_delay;     /* seconds, cap (default 10.0) */
  double factor;        /* growth per attempt (default 1.3) */
  double jitter;        /* 0..1, fraction of the delay added at random; 0: the default 0.3,
                           negative: none */
} fws_reconnect;

typedef struct fws_conn_opts {
  const char *url;              /* ws://host[:port]/path?query or wss://...; IPv6 as [::1] */
  const fws_header *headers;    /* extra request headers; values with CR or LF are refused */
  size_t nheaders;
  const char *subprotocol;      /* Sec-WebSocket-Protocol value, sent as is ("a, b" offers two) */
  int subprotocol_secret;       /* 1: it carries a credential (never sent to another origin) */
  const char *const *secrets;   /* credentials the request carries: masked out of whatever the
                                ** server says back (a refused upgrade's body, a close reason);
                                ** values of headers and query parameters named like credentials
                                ** ("Authorization", "api_key") are masked anyway */
  size_t nsecrets;
  int follow_redirects;         /* redirects followed per attempt; 0: a 3xx is an FWS_ERR_REDIRECT */
  int cross_origin;             /* 1: follow redirects to another origin too, without the extra
                                ** headers and without a secret subprotocol; never wss -> ws */
  const char *ca_file;          /* PEM file of trusted CAs, or NULL for the system store */
  int insecure;                 /* 1: do not verify the server certificate (explicit opt-out) */
  size_t max_message_size;      /* 0: 16 MiB; a bigger incoming message closes with 1009 */
  double ping_interval;         /* seconds between keepalive pings, 0: off */
  double ping_timeout;          /* seconds with nothing received (pong or data) before hang-up:
                                ** FWS_EV_ERROR "keepalive timeout" then close 1006; 0: off */
  double connect_timeout;       /* seconds, 0: 20 */
  size_t queue_limit;           /* messages held while not open (resolving, connecting, waiting to
                                ** reconnect); 0: sending while not open fails. Messages not yet
                                ** written when a connection breaks are kept up to this limit for
                                ** the next one; the rest, and all held when the conn ends for
                                ** good, come back as FWS_EV_DROPPED events. */
  fws_reconnect reconnect;
  size_t queue_bytes;           /* payload bytes queued before a send is refused (while open:
                                ** FWS_SEND_DROPPED and an FWS_EV_DROPPED event; before: FWS_SEND_QUEUE_FULL);
                                ** a message to an empty queue always goes. 0: 16 MiB */
  double message_timeout;       /* seconds from an incoming message's first byte to its last; a
                                ** slower one closes with 1008. 0: 60, < 0: no limit */
} fws_conn_opts;

/* Return codes of fws_conn_send. FWS_SEND_DROPPED: a server peer's queue is at
** peer_queue_limit; the message was not queued and an FWS_EV_DROPPED event reports it. */
enum { FWS_SEND_OK = 0, FWS_SEND_NOT_OPEN = 1, FWS_SEND_QUEUE_FULL = 2, FWS_SEND_CLOSED = 3,
       FWS_SEND_NOMEM = 4, FWS_SEND_DROPPED = 5 };

/* The loop: one libwebsockets context, created on demand. NULL and err on failure. */
fws_loop *fws_loop_new(char *err, size_t errlen);
/* Closes every connection and server (no callbacks), frees the context and every handle.
** Never waits for a name lookup in flight. */
void fws_loop_free(fws_loop *loop);
/* Does ready work for at most budget_ms (about: one service pass may overrun it) and returns at
** once when idle; never blocks. Returns the number of callbacks run (events and timers). */
int fws_loop_poll(fws_loop *loop, double budget_ms);
/* Blocks until nothing is left (no connection, server or timer), seconds pass (< 0: no limit),
** or fws_loop_stop(). Returns 1 when it ended because nothing was left, 0 otherwise. */
int fws_loop_run(fws_loop *loop, double seconds);
void fws_loop_stop(fws_loop *loop);
/* Ctrl-C while fws_loop_run blocks (fws_signal.c): catch installs a SIGINT handler that ends the
** run (not when SIGINT is ignored: a background job), release restores the previous one. take
** tells whether a SIGINT came since the last take, and forgets it. */
int fws_sigint_catch(fws_loop *loop);
void fws_sigint_release(void);
int fws_sigint_pending(void);
int fws_sigint_take(void);
/* Connections, servers and timers alive. */
size_t fws_loop_active(const fws_loop *loop);

/* Foreign loops (fws_pollfd.c), the cqueues protocol: a host that owns the loop (luv, cqueues, its
** own epoll) waits until pollfd is readable or timeout seconds have passed, then steps.
** fws_loop_pollfd: one descriptor (made on first call, owned by the loop) that becomes readable
** when the loop has work; -1 with errno when it cannot be made. fws_loop_timeout: seconds until
** the loop must be stepped even if the descriptor stays quiet: 0 when work is ready, < 0 when
** nothing is scheduled. fws_loop_step: waits up to wait seconds (0: not at all) for work, then does
** what is ready for at most budget_ms like fws_loop_poll; what is left keeps the descriptor
** readable. Returns the number of callbacks run. */
int fws_loop_pollfd(fws_loop *loop);
double fws_loop_timeout(fws_loop *loop);
int fws_loop_step(fws_loop *loop, double wait, double budget_ms);

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
/* Works in every state, idempotent. code 0 means 1000; reason is cut at 123 bytes. When open,
** messages already queued are written first, then the close frame; a peer that does not answer
** is cut off after 5 s. Messages held while not open are discarded without DROPPED events.
** No callback runs after it returns. */
void fws_conn_close(fws_conn *conn, int code, const char *reason, size_t reason_len);
/* Closes (1001) if still open, and gives the handle back. */
void fws_conn_release(fws_conn *conn);
fws_conn_state fws_conn_get_state(const fws_conn *conn);
size_t fws_conn_queued(const fws_conn *conn);  /* messages waiting to be written */
void *fws_conn_user(const fws_conn *conn);
void fws_conn_set_callback(fws_conn *conn, fws_conn_cb cb, void *user);
/* Peer address as text ("127.0.0.1:50312", "[::1]:50312"; for a client the URL's host:port). */
const char *fws_conn_peer(const fws_conn *conn);
/* Where redirects led the current attempt, without the query (it may carry a key); NULL when the
** attempt was not redirected. */
const char *fws_conn_url(const fws_conn *conn);
/* The subprotocol in force (client: the server's answer; peer: what accept chose), or NULL. */
const char *fws_conn_subprotocol(const fws_conn *conn);

/* Servers. A handshake is offered to the accept callback before it completes (inside
** lws_service, see the top of this file): the callback reads the request, sets out->status to
** refuse (e.g. 400, 401: the client gets that HTTP status, with reason as the body), or sets the
** callback and user for the new peer connection. The fws_request and the strings it returns are
** valid during the callback only. A refused peer handle is freed after the callback returns; an
** accepted one belongs to the user (fws_conn_release) and gets FWS_EV_OPEN when the handshake is
** done. With no accept callback every upgrade is accepted and the server owns the peers. */
typedef struct fws_request fws_request;
/* The request target as sent: path and query, percent-encoding untouched. */
const char *fws_request_target(const fws_request *req);
/* A request header by name (case-insensitive), NULL when absent. */
const char *fws_request_header(const fws_request *req, const char *name);
/* Every header of the request, once per name (lower-case; lines of the same name joined with ", "). */
void fws_request_headers(const fws_request *req,
                         void (*fn)(const char *name, const char *value, void *ud), void *ud);
/* The Sec-WebSocket-Protocol list as sent (lines joined with ", "), NULL when absent. */
const char *fws_request_subprotocols(const fws_request *req);

typedef struct fws_accept {
  int status;           /* 0: accept; else the HTTP status of the refusal */
  const char *reason;   /* refusal body */
  fws_conn_cb cb;       /* for the accepted peer */
  void *user;
  const char *subprotocol; /* the one to answer with (must be one offered), or NULL: none */
} fws_accept;

typedef void (*fws_accept_cb)(fws_server *srv, fws_conn *peer, const fws_request *req,
                              fws_accept *out, void *user);

typedef struct fws_server_opts {
  const char *host;             /* bind address: "127.0.0.1", "::1", "0.0.0.0" */
  int port;                     /* 0: the kernel picks one (fws_server_port tells which) */
  const char *cert_file;        /* PEM; both set: wss */
  const char *key_file;
  size_t max_message_size;      /* 0: 16 MiB */
  double ping_interval;
  double ping_timeout;
  size_t peer_queue_limit;      /* per-peer outgoing messages queued before DROPPED; 0: 1024 */
  size_t peer_queue_bytes;      /* ... and their payload bytes; 0: 16 MiB (one message always goes) */
  size_t queue_total;           /* payload bytes queued for all peers together; 0: 256 MiB */
  int max_peers;                /* peers at once; more upgrades are refused with 503; 0: 10000 */
  size_t assembly_total;        /* bytes of unfinished incoming messages of all peers together: the
                                ** peer that would pass it is closed with 1013; 0: 256 MiB */
  double message_timeout;       /* as for clients; 0: 60, < 0: no limit */
  double handshake_timeout;     /* seconds a new socket has to send its whole upgrade request; 0: 10 */
} fws_server_opts;

fws_server *fws_server_listen(fws_loop *loop, const fws_server_opts *opts, fws_accept_cb cb,
                              void *user, char *err, size_t errlen);
int fws_server_port(const fws_server *srv);
/* Stops listening and closes every peer (1001). No callback, for the server or its peers, after
** it returns. Peer handles the user holds must still be released. */
void fws_server_close(fws_server *srv);
/* Closes if needed and gives the handle back (its memory goes with the loop). */
void fws_server_release(fws_server *srv);

#endif
