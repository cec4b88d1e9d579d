/*
** fws_int.h: what the files of csrc/net share and nobody else sees.
**
** libwebsockets carries bytes: every connection is an lws *raw* socket (lws' listeners, its
** client connect, its server-side TLS, its timers and its poll loop), and the WebSocket protocol
** itself is ours: the HTTP upgrade (fws_http.c), the frames both ways (fws_wsread.c, fws_frame.c),
** the close handshake (fws_conn.c), and a client's TLS (fws_tlscli.c: lws 4.1 has no TLS for
** raw client sockets). So every byte a peer sends is judged by our code, under our bounds, and
** nothing depends on libwebsockets' private state.
**
** Ownership in one paragraph: the loop owns every conn, server and timer it created and frees
** the leftovers in fws_loop_free. A conn's memory goes away only when three things are true:
** the user released it, libwebsockets destroyed its wsi (WSI_DESTROY), and no queued event
** still points at it. Events are queued from inside lws_service and delivered after it returns.
*/
#ifndef FWS_INT_H
#define FWS_INT_H

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdint.h>

#include "net/fws_net.h"

#define FWS_DEFAULT_MAX_MESSAGE (16u * 1024u * 1024u)
#define FWS_DEFAULT_PEER_QUEUE 1024
#define FWS_DEFAULT_QUEUE_BYTES (16u * 1024u * 1024u)      /* a client's send queue */
#define FWS_DEFAULT_PEER_QUEUE_BYTES (16u * 1024u * 1024u) /* one server peer's */
#define FWS_DEFAULT_QUEUE_TOTAL (256u * 1024u * 1024u)     /* all of a server's peers' */
#define FWS_DEFAULT_ASSEMBLY_TOTAL (256u * 1024u * 1024u)  /* unfinished messages, per server */
#define FWS_DEFAULT_MAX_PEERS 10000
#define FWS_DEFAULT_MESSAGE_SECS 60.0
#define FWS_HANDSHAKE_SECS 10         /* a peer's upgrade request must be whole within this */
#define FWS_FRAG_SIZE (64u * 1024u)   /* a bigger message goes out in frames of this size */
#define FWS_FRAME_MAX_HDR 14          /* a frame header: 2 + 8 (length) + 4 (mask) */
#define FWS_MASK_POOL 4096u           /* random bytes for client masks, refilled by getrandom */
#define FWS_WRITE_CHUNK (64u * 1024u) /* bytes of messages one WRITEABLE hands to lws */
#define FWS_OUT_SLACK 512u            /* ... plus control frames and headers */
#define FWS_SERV_BUF (64u * 1024u)    /* pt_serv_buf_size: per thread, not per connection */
#define FWS_RX_BUF 4096u              /* per-connection lws rx buffer: keep idle memory small */
#define FWS_CLOSE_GRACE_SECS 5        /* a close that the peer never answers ends after this */
#define FWS_BODY_WAIT_SECS 1          /* how long a refused upgrade's body is waited for */
#define FWS_MAX_ADDRS 4               /* addresses of a name tried in turn (::1 then 127.0.0.1) */
#define FWS_HTTP_MAX_HEAD 16384       /* an upgrade request or answer, headers included */
#define FWS_HTTP_MAX_HEADERS 100

typedef struct fws_msg fws_msg;
typedef struct fws_qev fws_qev;
typedef struct fws_job fws_job;
typedef struct fws_resolver fws_resolver;
typedef struct fws_url fws_url;
typedef struct fws_client_cfg fws_client_cfg;
typedef struct fws_tlscli fws_tlscli;
typedef struct fws_sslctx fws_sslctx;

/* ---- url (fws_url.c) ---- */
struct fws_url {
  int tls;
  int port;
  int ipv6;            /* host was a bracketed literal */
  char *host;          /* without brackets */
  char *path;          /* path with query, at least "/" */
};
int fws_url_parse(const char *url, fws_url *out, char *err, size_t errlen);
/* A redirect's Location (ws, wss, http, https, "//host/p", "/p" or a relative path) against base. */
int fws_url_resolve(const fws_url *base, const char *location, fws_url *out, char *err,
                    size_t errlen);
int fws_url_same_origin(const fws_url *a, const fws_url *b);
/* "ws://host:port/path" without the query, malloc'd; NULL when out of memory. */
char *fws_url_text(const fws_url *u);
/* "name[:port]" for the Host header and SNI, malloc'd. */
char *fws_url_hostport(const fws_url *u);
void fws_url_free(fws_url *u);
void fws_url_drop(fws_url **u);   /* a malloc'd one: freed, NULLed */
int fws_is_numeric_host(const char *host);

/* ---- HTTP heads of the upgrade (fws_http.c) ---- */
typedef struct fws_http_head {
  char *buf;           /* the head as it came, split in place by fws_http_parse */
  size_t len, cap;
  int minor;           /* HTTP/1.<minor> */
  int status;          /* an answer's status */
  char *method, *target, *reason;
  size_t nh;
  char *hname[FWS_HTTP_MAX_HEADERS], *hvalue[FWS_HTTP_MAX_HEADERS];
} fws_http_head;
/* Takes bytes until the head's blank line: 1 when the head is whole (*used: the bytes of in it
** took), 0 when more is needed, -1 when it is too big (err). */
int fws_http_collect(fws_http_head *h, const unsigned char *in, size_t n, size_t *used, char *err,
                     size_t errlen);
int fws_http_parse(fws_http_head *h, int response, char *err, size_t errlen);
const char *fws_http_get(const fws_http_head *h, const char *name);   /* the first one */
int fws_http_count(const fws_http_head *h, const char *name);
int fws_http_has_token(const fws_http_head *h, const char *name, const char *token);
void fws_http_free(fws_http_head *h);
void fws_http_head_drop(fws_http_head **h);           /* frees it and its struct, NULLs it */
/* Is want one of the names of a comma-separated list (a subprotocol offer)? Case-sensitive. */
int fws_http_listed(const char *list, const char *want);
void fws_http_accept(const char *key, char out[29]);  /* Sec-WebSocket-Accept of a key */
void fws_http_key(const unsigned char raw[16], char out[25]);
int fws_http_key_ok(const char *key);

/* ---- incoming frames (fws_wsread.c) ---- */
typedef struct fws_wsread {
  unsigned char hdr[FWS_FRAME_MAX_HDR];
  unsigned char hn, hneed;       /* header bytes held, and needed */
  unsigned char op, fin, masked;
  unsigned char key[4];
  unsigned kpos;                 /* where the mask key stands */
  uint64_t left;                 /* payload bytes of this frame still to come */
  unsigned char msg_op;          /* 1 text, 2 binary: the data message under way, 0: none */
  uint32_t utf8;                 /* incremental UTF-8 state of that text message */
  unsigned char ctl[125];
  unsigned char ctln;
} fws_wsread;
/* Reads frames (the payload is unmasked in place). 0, or -1 when it failed the connection (a
** protocol error: the close frame is on its way and nothing more is read). */
int fws_wsread_feed(fws_conn *c, unsigned char *p, size_t n);
/* Incremental UTF-8 check: 0 fine so far, -1 invalid; *st is 0 at a character boundary. */
int fws_utf8_step(uint32_t *st, const unsigned char *p, size_t n);
int fws_close_code_ok(int code);

/* ---- send queue (fws_sendq.c) ---- */
struct fws_msg {
  fws_msg *next;
  size_t len;
  int binary;
  unsigned char buf[]; /* LWS_PRE headroom, then len bytes */
};
typedef struct fws_sendq {
  fws_msg *head, *tail;
  size_t count;
  size_t bytes;        /* payload bytes queued */
  size_t *total;       /* also counted here (a server's peers together), or NULL */
  size_t off;          /* bytes of head already written (fragmented send) */
} fws_sendq;
fws_msg *fws_msg_new(int binary, const char *data, size_t len);
void fws_sendq_push(fws_sendq *q, fws_msg *m);
fws_msg *fws_sendq_pop(fws_sendq *q);
void fws_sendq_clear(fws_sendq *q);

/* ---- outgoing frames (fws_frame.c) ---- */
/* A frame header (2 to FWS_FRAME_MAX_HDR bytes) into h; key: the client's mask, NULL for a
** server. Returns its size. */
size_t fws_frame_header(unsigned char *h, int opcode, int fin, size_t len, const unsigned char *key);
/* dst = src XOR the repeated key, starting at key position kpos (in place when dst == src). */
void fws_frame_mask(unsigned char *dst, const unsigned char *src, size_t len,
                    const unsigned char key[4], unsigned kpos);
/* A fresh mask from the loop's getrandom pool; -1 when getrandom fails. */
int fws_frame_key(fws_loop *loop, unsigned char key[4]);
/* Frames what is due (a pong, a ping, queued messages, the close) into one write: 1 when more
** is left for the next WRITEABLE, 0 when nothing is, -1 on a write error. */
int fws_frame_write_due(fws_conn *c, struct lws *wsi);
/* One control frame (ping, pong, close) written at once. */
int fws_frame_control(fws_conn *c, struct lws *wsi, int opcode, const unsigned char *p, size_t n);

/* ---- bytes on the socket (fws_conn.c): through the client's TLS when there is one ---- */
int fws_conn_write(fws_conn *c, struct lws *wsi, unsigned char *p, size_t n);

/* ---- a client's TLS over memory BIOs (fws_tlscli.c) ---- */
fws_tlscli *fws_tlscli_new(fws_loop *loop, const char *host, const char *ca_file, int insecure,
                           char *err, size_t errlen);
void fws_tlscli_free(fws_tlscli *t);
/* Ciphertext from the socket in; plaintext out through fn (which returns nonzero to stop).
** 0 fine, -1 the TLS session failed (fws_tlscli_error tells why). */
int fws_tlscli_feed(fws_tlscli *t, const unsigned char *in, size_t n,
                    int (*fn)(void *ud, unsigned char *p, size_t n), void *ud);
int fws_tlscli_ready(const fws_tlscli *t);           /* the handshake is done */
int fws_tlscli_start(fws_tlscli *t);                 /* sends the ClientHello: 0, -1 */
int fws_tlscli_write(fws_tlscli *t, const unsigned char *p, size_t n);  /* plaintext to send */
/* Ciphertext waiting to go to the socket, copied to dst: its size, 0 when none. */
size_t fws_tlscli_read_out(fws_tlscli *t, unsigned char *dst, size_t cap);
/* Why it failed, as a user can act on it; 1 when the failure is the certificate. */
const char *fws_tlscli_error(const fws_tlscli *t, int *is_cert);
void fws_tlscli_free_ctxs(fws_loop *loop);
int fws_tlscli_check_ca(fws_loop *loop, const char *ca_file, char *err, size_t errlen);

/* ---- events (fws_loop.c) ---- */
struct fws_qev {
  fws_qev *next;
  fws_conn *conn;
  fws_timer *timer;
  fws_event ev;
  char *heap;          /* data owned separately (handed-over buffer), else data is inline */
};

/* ---- resolver (fws_resolve.c) ---- */
struct fws_job {
  fws_job *next;
  fws_conn *conn;      /* NULL once cancelled */
  int port;
  int failed;
  int naddr;
  char addr[FWS_MAX_ADDRS][64];  /* numeric results in getaddrinfo's order, or addr[0] = the
                                 ** error text when failed */
  char host[];
};
fws_resolver *fws_resolver_new(struct lws_context *ctx);
void fws_resolver_detach(fws_resolver *r);   /* loop teardown: never waits for a lookup */
/* An eventfd written (besides lws_cancel_service) when a lookup finishes; -1: none. */
void fws_resolver_set_wake(fws_resolver *r, int fd);
int fws_resolver_has_done(fws_resolver *r);
fws_job *fws_resolver_submit(fws_resolver *r, fws_conn *c, const char *host, int port);
void fws_resolver_cancel(fws_resolver *r, fws_job *j);
/* Finished jobs, oldest first; the caller frees each with free(). */
fws_job *fws_resolver_take(fws_resolver *r);

/* ---- client configuration (fws_client.c) ---- */
struct fws_client_cfg {
  fws_url url;
  char *hostport;      /* Host header / SNI: "name[:port]" */
  char **hnames, **hvalues;
  size_t nheaders;
  char *subprotocol;
  int subprotocol_secret;
  int follow_redirects, cross_origin;
  char *ca_file;
  int insecure;
  double connect_timeout;
  double ping_interval, ping_timeout;
  size_t queue_limit;
  fws_reconnect rc;
  char **secrets;      /* credentials the request carries, masked out of the server's words */
  size_t nsecrets;
};

/* Where a connection stands on its socket (state says where it stands for the user). */
enum {
  FWS_PH_NONE,         /* no socket (resolving, waiting) */
  FWS_PH_TCP,          /* client: connecting */
  FWS_PH_TLS,          /* client: TLS handshake */
  FWS_PH_HTTP,         /* reading the upgrade request (peer) or answer (client) */
  FWS_PH_BODY,         /* client: reading a refused upgrade's body */
  FWS_PH_WS,           /* frames */
  FWS_PH_DONE          /* closing the socket: nothing more is read */
};

/* ---- connections ---- */
struct fws_conn {
  fws_loop *loop;
  fws_conn *prev, *next;          /* loop->conns */
  fws_conn *sprev, *snext;        /* srv->peers */
  struct lws *wsi;
  fws_server *srv;                /* non-NULL for a server peer */
  fws_client_cfg *cfg;            /* non-NULL for a client */
  fws_conn_cb cb;
  void *user;
  fws_conn_state state;
  int phase;                      /* FWS_PH_* */
  unsigned released : 1, user_closed : 1, close_req : 1, kill_req : 1, hangup : 1,
      peer_close : 1, in_connect : 1, destroyed_in_connect : 1, rx_binary : 1, ping_due : 1,
      counted : 1, got_error : 1, established : 1, flush_pending : 1, peer_counted : 1,
      close_sent : 1,             /* our close frame went out */
      pong_due : 1,               /* a ping to answer: pong[] */
      hangup_due : 1,             /* close the socket once what is written has gone */
      close_due : 1;              /* our close (a failure, the answer to the peer's) at the next flush */
  int close_code;                 /* ours, sent when close_req */
  int local_code;                 /* close code we initiated for a fault (1002, 1007, 1009...) */
  int peer_code;
  int http_status;                /* status of a refused handshake on this attempt */
  int attempt;                    /* reconnect attempts since the last open */
  size_t nevents;                 /* queued events pointing here */
  char *close_reason;             /* ours */
  size_t close_reason_len;
  char *peer_reason;
  size_t peer_reason_len;
  unsigned char pong[125];
  size_t pong_len;
  char *fail_msg;                 /* why the current attempt is being ended by us */
  fws_err_kind fail_kind;         /* ... and the kind of its error event */
  char *fail_detail;              /* the server's words for it (FWS_EV_ERROR detail), or NULL */
  size_t fail_detail_len;
  size_t body_want;               /* FWS_PH_BODY: bytes of the refusal's body still wanted */
  int body_cut;                   /* ... and the body is longer than what is kept of it */
  char *subprotocol;              /* negotiated */
  fws_http_head *head;            /* the upgrade request or answer being read */
  char key[25];                   /* client: the Sec-WebSocket-Key sent */
  fws_tlscli *tls;                /* client TLS, or NULL */
  fws_wsread rd;
  fws_sendq q;
  size_t queue_limit;
  size_t queue_bytes;             /* cap of q.bytes (fws_conn_send) */
  char *rx;
  size_t rx_len, rx_cap;
  size_t max_message;
  lws_usec_t message_us;          /* longest a message may take to arrive whole, 0: no limit */
  lws_usec_t rx_started;          /* when the message being assembled began */
  lws_sorted_usec_list_t sul;     /* connect timeout / keepalive / reconnect delay */
  lws_usec_t last_valid, last_ping;
  lws_usec_t ping_us, timeout_us;
  fws_job *job;
  char (*addrs)[64];              /* resolved addresses of this attempt, tried in turn */
  int naddrs, addr_idx;
  unsigned next_addr : 1,         /* the sul runs the next address, not the connect timeout */
      cross : 1,                  /* this attempt left the first origin: no extra headers */
      hs_sent : 1,                /* the TCP connect completed (the upgrade request can go) */
      tcp_refused : 1,            /* the socket closed before the TCP connect completed */
      redirect_due : 1,           /* the sul starts the hop to target, not the connect timeout */
      tls_cert : 1;               /* this attempt failed on the server's certificate */
  fws_url *target;                /* where this attempt goes after a redirect, NULL: cfg->url */
  fws_url *pending;               /* a redirect accepted, taken when lws has ended the wsi */
  char *target_hostport;
  char *url_text;                 /* fws_conn_url: set by a followed redirect */
  int redirects;                  /* followed in this attempt */
  int probe_fd;                   /* a dup of the connecting socket, -1: none (fws_client.c) */
  fws_conn *kill_next;            /* loop->kills */
  fws_conn *flush_next;           /* loop->flush */
  char peer_addr[64];
};

/* ---- servers ---- */
struct fws_server {
  fws_loop *loop;
  fws_server *prev, *next;
  struct lws_vhost *vh;
  fws_accept_cb cb;
  void *user;
  fws_conn *peers;
  size_t max_message;
  size_t peer_queue_limit;
  size_t peer_queue_bytes;
  size_t queued, queue_total;     /* payload bytes queued for all peers, and its cap */
  size_t rx_total, assembly_total; /* bytes of unfinished incoming messages, and its cap */
  int npeers, max_peers;          /* peers whose wsi lives */
  lws_usec_t message_us;
  int handshake_secs;             /* a new socket's time to send its whole request */
  double ping_interval, ping_timeout;
  int port;
  unsigned released : 1, closed : 1, tls : 1;
  struct lws *lwsi;               /* the listening socket, adopted as a raw file (fws_server.c) */
  struct lws_protocols protocols[2];
  char vhname[32];
};

struct fws_reqhdr {
  struct fws_reqhdr *next;
  char *value;
  char name[];
};
struct fws_request {
  const fws_http_head *head;
  char *protocols;                /* the Sec-WebSocket-Protocol lines joined, or NULL */
  struct fws_reqhdr *cache;       /* joined values handed out, freed after the accept callback */
};

/* ---- timers ---- */
struct fws_timer {
  fws_loop *loop;
  fws_timer *prev, *next;
  lws_sorted_usec_list_t sul;
  fws_timer_cb cb;
  void *user;
  unsigned queued : 1, cancelled : 1;
};

/* ---- the loop ---- */
struct fws_loop {
  struct lws_context *ctx;
  struct lws_vhost *clivh;        /* every client socket's vhost (TLS is ours: fws_tlscli.c) */
  fws_sslctx *sslctxs;            /* client TLS contexts, one per CA file */
  fws_qev *evhead, *evtail;
  fws_conn *conns;
  fws_server *servers;
  fws_timer *timers;
  fws_conn *kills;                /* pre-open kills asked for while inside lws_service */
  fws_conn *flush;                /* conns given messages outside lws_service (fws_conn_flush) */
  fws_resolver *res;
  size_t nalive;                  /* conns counted in fws_loop_active */
  size_t nservers, ntimers;
  unsigned long activity;         /* bumped by every lws callback that did something */
  int in_service, blocking, woken, stop, freeing;
  int after_poll;                 /* this service pass is past its poll(): no wake needed */
  uint64_t rng;
  size_t mask_left;               /* unused bytes at the start of mask_pool */
  unsigned char mask_pool[FWS_MASK_POOL];
  unsigned char *out;             /* LWS_PRE + FWS_WRITE_CHUNK + FWS_OUT_SLACK: frames being written */
  lws_sorted_usec_list_t run_sul;  /* wakes a blocking run() at its deadline */
  struct lws_protocols cli_protocols[2];
  int vhseq;                      /* names the servers' vhosts */
  /* the descriptor for foreign loops (fws_pollfd.c), made on demand */
  int epfd, evfd;                 /* the epoll set, and the eventfd that wakes it; -1: none */
  int driving;                    /* inside poll, run or step: their end decides about waking */
  int kicked;                     /* evfd written since the last drain */
  int left;                       /* the last poll or step stopped on its budget with work left */
  unsigned pollfd_partial : 1;    /* a socket could not join the set: timeout() is capped */
  lws_dll2_owner_t *sul_owner;    /* the sorted timer list our suls go on (fws_pollfd.c) */
};

/* fws_loop.c */
const lws_retry_bo_t *fws_retry_policy(void);
fws_qev *fws_ev_push(fws_loop *loop, fws_conn *c, fws_event_kind kind, const char *data,
                     size_t len);
fws_qev *fws_ev_push_owned(fws_loop *loop, fws_conn *c, fws_event_kind kind, char *buf,
                           size_t len);
void fws_ev_error(fws_conn *c, fws_err_kind kind, int status, const char *fmt, ...);
void fws_ev_fault(fws_conn *c, fws_err_kind kind, int status, const char *detail, size_t dlen,
                  const char *msg);
void fws_loop_wake(fws_loop *loop);
double fws_random(fws_loop *loop);
int fws_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);
void fws_set_err(char *err, size_t errlen, const char *fmt, ...);

/* fws_conn.c: shared by clients and peers */
lws_usec_t fws_message_us(double seconds);   /* message_timeout: 0 the default, < 0 none */
void fws_conn_rx_reset(fws_conn *c);         /* drops a message half assembled */
fws_conn *fws_conn_alloc(fws_loop *loop);
void fws_conn_maybe_free(fws_conn *c);
void fws_conn_set_alive(fws_conn *c, int alive);
void fws_conn_kill(fws_conn *c);                 /* pre-open abort, safe from user code */
void fws_conn_on_open(fws_conn *c);
int fws_conn_ended(fws_conn *c);  /* the common start of a closed connection; 1: user-closed, over */
/* Writes what fws_conn_send queued since the last call, at once where it can (see fws_conn.c). */
void fws_conn_flush(fws_loop *loop);
/* The peer broke the protocol or a bound: an error event (unless msg is NULL), then our close
** frame with code, then the socket closes; nothing more is read. */
void fws_conn_fail(fws_conn *c, int code, fws_err_kind kind, const char *msg, const char *reason);
/* From fws_wsread.c: a piece of a data message (fin: its last), a whole control frame. */
int fws_conn_on_data(fws_conn *c, unsigned char *p, size_t n, int fin);
int fws_conn_on_control(fws_conn *c, int op, const unsigned char *p, size_t n);
/* Plaintext bytes from the peer, whatever the phase. 0, or -1 when the socket must close now. */
int fws_conn_on_bytes(fws_conn *c, unsigned char *p, size_t n);
void fws_conn_want_write(fws_conn *c);
void fws_conn_on_closed(fws_conn *c);
void fws_conn_drop_queue(fws_conn *c, size_t keep);
void fws_conn_keepalive_start(fws_conn *c, double interval, double timeout);
void fws_conn_free_all(fws_loop *loop);
void fws_conn_finish(fws_conn *c, const char *err, int status, int code, const char *reason,
                     size_t rlen);

/* fws_client.c */
void fws_client_on_conn_error(fws_conn *c, const char *why);
void fws_client_on_connected(fws_conn *c, struct lws *wsi);
void fws_client_send_request(fws_conn *c, struct lws *wsi);
int fws_client_on_bytes(fws_conn *c, unsigned char *p, size_t n);
void fws_client_probe_close(fws_conn *c, int judge);
void fws_client_on_resolved(fws_job *j);
void fws_client_sul(fws_conn *c);
void fws_client_arm_timeout(fws_conn *c);
void fws_client_arm_retry(fws_conn *c, double seconds);
void fws_client_ended(fws_conn *c, const char *err, int status, int code, const char *reason,
                      size_t reason_len, int peer_normal);
void fws_client_cfg_free(fws_client_cfg *cfg);

/* fws_scrub.c: credentials out of the server's words */
int fws_scrub_collect(fws_client_cfg *cfg, const fws_conn_opts *o);
void fws_scrub_free(fws_client_cfg *cfg);
/* Masks each credential in s[0..n) in place; cut: s was cut short (a credential's start at its end
** is masked too). Returns the new length (never more than n). */
size_t fws_scrub(const fws_client_cfg *cfg, char *s, size_t n, int cut);

/* fws_server.c */
int fws_server_on_adopt(struct lws *wsi);
int fws_server_on_bytes(fws_conn *c, unsigned char *p, size_t n);
void fws_server_free_all(fws_loop *loop);
void fws_server_unlink_peer(fws_conn *c);

/* fws_timer.c */
void fws_timer_free_all(fws_loop *loop);
void fws_timer_deliver(fws_timer *t);

/* fws_server.c: the listener is ours (bound here, polled by lws as a raw file) */
int fws_server_on_listen(struct lws *wsi);      /* RAW_RX_FILE: accept what waits */
void fws_server_on_listen_gone(struct lws *wsi); /* WSI_DESTROY of a wsi with no conn */
void fws_server_on_tls_ctx(void *ssl_ctx);      /* a wss vhost's SSL_CTX, before any use */

/* fws_pollfd.c: one descriptor for a host's loop */
void fws_pollfd_init(fws_loop *loop);           /* at loop creation: no set yet */
void fws_pollfd_add(fws_loop *loop, int fd);    /* a socket lws polls; a no-op without a set */
/* Work, or an earlier deadline, appeared outside poll/run/step: the descriptor becomes readable
** so that a host waiting on it steps, and asks timeout() again. */
void fws_loop_kick(fws_loop *loop);
int fws_loop_ready(fws_loop *loop);             /* work that needs no waiting */
void fws_pollfd_drain(fws_loop *loop);          /* readiness seen so far is being acted on */
void fws_pollfd_wait(fws_loop *loop, double seconds);
void fws_pollfd_free(fws_loop *loop);

#endif
