/*
** fws_int.h: what the files of csrc/net share and nobody else sees.
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

#include "net/fws_net.h"

#define FWS_DEFAULT_MAX_MESSAGE (16u * 1024u * 1024u)
#define FWS_DEFAULT_PEER_QUEUE 1024
#define FWS_DEFAULT_QUEUE_BYTES (16u * 1024u * 1024u)      /* a client's send queue */
#define FWS_DEFAULT_PEER_QUEUE_BYTES (16u * 1024u * 1024u) /* one server peer's */
#define FWS_DEFAULT_QUEUE_TOTAL (256u * 1024u * 1024u)     /* all of a server's peers' */
#define FWS_DEFAULT_ASSEMBLY_TOTAL (256u * 1024u * 1024u)  /* unfinished messages, per server */
#define FWS_DEFAULT_MAX_PEERS 10000
#define FWS_DEFAULT_MESSAGE_SECS 60.0
#define FWS_FRAG_SIZE (64u * 1024u)   /* one WRITEABLE writes at most this much of a message */
#define FWS_BURST_MSGS 32             /* whole small messages written by one WRITEABLE */
#define FWS_BURST_BYTES (16u * 1024u) /* ... up to about this many bytes */
#define FWS_FRAME_BURST_MSGS 256      /* whole messages framed by us into one write (fws_frame.c) */
#define FWS_FRAME_MAX_HDR 14          /* a frame header: 2 + 8 (length) + 4 (mask) */
#define FWS_MASK_POOL 4096u           /* random bytes for client masks, refilled by getrandom */
/* Bytes of frames per write: lws sends at most rx_buffer_size + LWS_PRE + 4 per send() and
** copies the rest to its buflist_out, so a burst stays within one send. */
#define FWS_FRAME_BURST_BYTES FWS_RX_BUF
#define FWS_SERV_BUF (64u * 1024u)    /* pt_serv_buf_size: per thread, not per connection */
#define FWS_RX_BUF 4096u              /* per-connection lws rx buffer: keep idle memory small */
#define FWS_CLOSE_GRACE_SECS 5        /* a close that the peer never answers ends after this */
#define FWS_MAX_ADDRS 4               /* addresses of a name tried in turn (::1 then 127.0.0.1) */

typedef struct fws_msg fws_msg;
typedef struct fws_qev fws_qev;
typedef struct fws_job fws_job;
typedef struct fws_resolver fws_resolver;
typedef struct fws_url fws_url;
typedef struct fws_client_cfg fws_client_cfg;
typedef struct fws_clivh fws_clivh;

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
int fws_is_numeric_host(const char *host);

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
/* Writes the head message, or its next fragment; 1 when more is left to write, 0 when the
** queue is empty, -1 on a write error. */
int fws_sendq_write(fws_conn *c, struct lws *wsi);
/* What one WRITEABLE writes: a burst of whole messages, or one fragment; returns as above. */
int fws_sendq_write_burst(fws_conn *c, struct lws *wsi);

/* ---- our own framing of whole messages (fws_frame.c) ---- */
/* Writes a final data frame header (2 to FWS_FRAME_MAX_HDR bytes) to h; key: the client's mask,
** NULL for a server. Returns its size. */
size_t fws_frame_header(unsigned char *h, int binary, size_t len, const unsigned char *key);
/* dst = src XOR the repeated key (in place when dst == src; else they must not overlap). */
void fws_frame_mask_copy(unsigned char *dst, const unsigned char *src, size_t len,
                         const unsigned char key[4]);
/* A fresh mask from the loop's getrandom pool; -1 when getrandom fails. */
int fws_frame_key(fws_loop *loop, unsigned char key[4]);
int fws_frame_fits(const fws_msg *m);
/* Frames queued whole messages into the loop's scratch buffer and writes them with one
** LWS_WRITE_RAW: 1 when more is queued, 0 when the queue is empty, -1 on a write error, 2 when
** the head message cannot go this way (lws frames it: fws_sendq_write). */
int fws_frame_burst(fws_conn *c, struct lws *wsi);

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
  unsigned released : 1, user_closed : 1, close_req : 1, kill_req : 1, hangup : 1,
      peer_close : 1, in_connect : 1, peer_counted : 1, destroyed_in_connect : 1, rx_binary : 1, ping_due : 1,
      counted : 1, got_error : 1, established : 1, flush_pending : 1;
  int close_code;                 /* ours, sent when close_req */
  int local_code;                 /* close code we initiated for a fault (1009) */
  int peer_code;
  int tls_err;                    /* X509 verify error seen on this attempt */
  int http_status;                /* status of a refused handshake on this attempt */
  int attempt;                    /* reconnect attempts since the last open */
  size_t nevents;                 /* queued events pointing here */
  char *close_reason;             /* ours */
  size_t close_reason_len;
  char *peer_reason;
  size_t peer_reason_len;
  char *fail_msg;                 /* why the current attempt is being ended by us */
  fws_err_kind fail_kind;         /* ... and the kind of its error event */
  char *fail_detail;              /* the server's words for it (FWS_EV_ERROR detail), or NULL */
  size_t fail_detail_len;
  fws_url *target;                /* where this attempt goes after a redirect, NULL: cfg->url */
  fws_url *pending;               /* a redirect accepted, taken when lws has ended the wsi */
  char *target_hostport;
  char *url_text;                 /* fws_conn_url: set by a followed redirect */
  int redirects;                  /* followed in this attempt */
  int probe_fd;                   /* a dup of the connecting socket, -1: none (fws_client.c) */
  unsigned cross : 1,             /* this attempt left the first origin: no extra headers */
      hs_sent : 1,                /* the upgrade request went out (the TCP/TLS part is done) */
      tcp_refused : 1,            /* the socket closed before the TCP connect completed */
      redirect_due : 1;           /* the sul starts the hop to target, not the connect timeout */
  char *subprotocol;              /* negotiated */
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
  unsigned next_addr : 1;         /* the sul runs the next address, not the connect timeout */
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
  double ping_interval, ping_timeout;
  int port;
  unsigned released : 1, closed : 1;
  struct lws_protocols protocols[2];
  char pname[64];                 /* protocols[0].name: rewritten per upgrade, see fws_server.c */
  char *answer;                   /* subprotocol to answer with for the upgrade under way */
  char vhname[32];
};

struct fws_reqhdr {
  struct fws_reqhdr *next;
  char *value;
  char name[];
};
struct fws_request {
  struct lws *wsi;
  char *target;
  char *protocols;
  struct fws_reqhdr *cache;       /* values handed out, freed after the accept callback */
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

struct fws_clivh {
  fws_clivh *next;
  struct lws_vhost *vh;
  int tls;                        /* 0: plain ws:// only, no TLS client context */
  char *ca_file;                  /* NULL: the system store */
};

/* ---- the loop ---- */
struct fws_loop {
  struct lws_context *ctx;
  fws_clivh *clivhs;
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
  int nvh;
  uint64_t rng;
  size_t mask_left;               /* unused bytes at the start of mask_pool */
  unsigned char mask_pool[FWS_MASK_POOL];
  unsigned char *frag;            /* LWS_PRE + FWS_FRAG_SIZE scratch for fragment writes */
  lws_sorted_usec_list_t run_sul;  /* wakes a blocking run() at its deadline */
  struct lws_protocols cli_protocols[2];
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
struct lws_vhost *fws_client_vhost(fws_loop *loop, int tls, const char *ca_file, char *err,
                                   size_t errlen);
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
int fws_conn_on_rx(fws_conn *c, struct lws *wsi, const void *in, size_t len);
int fws_conn_on_writeable(fws_conn *c, struct lws *wsi);
void fws_conn_on_peer_close(fws_conn *c, const unsigned char *in, size_t len);
void fws_conn_on_closed(fws_conn *c);
void fws_conn_drop_queue(fws_conn *c, size_t keep);
void fws_conn_keepalive_start(fws_conn *c, double interval, double timeout);
void fws_conn_free_all(fws_loop *loop);
void fws_conn_finish(fws_conn *c, const char *err, int status, int code, const char *reason,
                     size_t rlen);

/* fws_client.c */
void fws_client_on_conn_error(fws_conn *c, const char *why);
int fws_client_on_redirect(fws_conn *c, const char *loc, int status);
void fws_client_on_http_answer(fws_conn *c, struct lws *wsi);
void fws_client_on_http_body(fws_conn *c, const char *in, size_t len);
void fws_client_probe_close(fws_conn *c, int judge);
void fws_client_on_resolved(fws_job *j);
void fws_client_sul(fws_conn *c);
void fws_client_arm_timeout(fws_conn *c);
void fws_client_arm_retry(fws_conn *c, double seconds);
void fws_client_ended(fws_conn *c, const char *err, int status, int code, const char *reason,
                      size_t reason_len, int peer_normal);
void fws_client_append_headers(fws_conn *c, struct lws *wsi, unsigned char **p,
                               unsigned char *end);
void fws_client_cfg_free(fws_client_cfg *cfg);

/* fws_server.c */
int fws_server_confirm_upgrade(struct lws *wsi);
int fws_server_add_headers(struct lws *wsi, void *in);
void fws_server_free_all(fws_loop *loop);
void fws_server_unlink_peer(fws_conn *c);

/* fws_tls.c: why a client's TLS handshake failed */
void fws_tls_watch(void *ssl_ctx);
int fws_tls_reason(struct lws *wsi, char *msg, size_t n);

/* fws_timer.c */
void fws_timer_free_all(fws_loop *loop);
void fws_timer_deliver(fws_timer *t);

#endif
