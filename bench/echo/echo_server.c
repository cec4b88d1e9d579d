/*
** echo_server.c: the benchmark's reference server. Raw C on libwebsockets, one thread, one
** process: every text message is sent back unchanged on the connection it came from.
**
**   echo_server [--host 127.0.0.1] [--port 0]
**
** Prints "port N" on stdout once it listens, then serves until SIGTERM or SIGINT. Messages are
** reassembled from fragments and queued per connection (several can arrive before the socket is
** writable when many are in flight); one message is written per WRITEABLE callback, as lws wants.
** No JSON parsing: this is the fast server the clients are measured against.
*/
#define _GNU_SOURCE
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct msg {
  struct msg *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE headroom, then len bytes */
} msg;

typedef struct pss {
  msg *head, *tail;
  unsigned char *rx;   /* fragments of the message being received */
  size_t rx_len, rx_cap;
} pss;

static volatile sig_atomic_t interrupted;
static struct lws_context *g_ctx;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
  if (g_ctx) lws_cancel_service(g_ctx);
}

static void queue_msg(pss *p, const void *data, size_t len) {
  msg *m = malloc(sizeof *m + LWS_PRE + len);
  if (!m) return;
  m->next = NULL;
  m->len = len;
  memcpy(m->buf + LWS_PRE, data, len);
  if (p->tail) p->tail->next = m;
  else p->head = m;
  p->tail = m;
}

static void free_pss(pss *p) {
  while (p->head) {
    msg *m = p->head;
    p->head = m->next;
    free(m);
  }
  p->tail = NULL;
  free(p->rx);
  p->rx = NULL;
  p->rx_len = p->rx_cap = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  pss *p = user;
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    memset(p, 0, sizeof *p);
    break;
  case LWS_CALLBACK_RECEIVE: {
    int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (lws_frame_is_binary(wsi)) break;  /* text only */
    if (final && !p->rx_len) {
      queue_msg(p, in, len);  /* the common case: the whole message at once */
    } else {
      if (p->rx_len + len > p->rx_cap) {
        size_t cap = p->rx_cap ? p->rx_cap : 4096;
        while (cap < p->rx_len + len) cap *= 2;
        unsigned char *nb = realloc(p->rx, cap);
        if (!nb) return -1;
        p->rx = nb;
        p->rx_cap = cap;
      }
      memcpy(p->rx + p->rx_len, in, len);
      p->rx_len += len;
      if (!final) break;
      queue_msg(p, p->rx, p->rx_len);
      p->rx_len = 0;
    }
    lws_callback_on_writable(wsi);
    break;
  }
  case LWS_CALLBACK_SERVER_WRITEABLE: {
    msg *m = p->head;
    if (!m) break;
    p->head = m->next;
    if (!p->head) p->tail = NULL;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) return -1;
    if (p->head) lws_callback_on_writable(wsi);
    break;
  }
  case LWS_CALLBACK_CLOSED:
    free_pss(p);
    break;
  default:
    break;
  }
  return 0;
}

static const struct lws_protocols protocols[] = {
    {"echo", callback, sizeof(pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* no lws validity pings: the clients do not ping either */
static const lws_retry_bo_t no_validity = {0};

int main(int argc, char **argv) {
  struct lws_context_creation_info info;
  struct lws_vhost *vh;
  struct rlimit rl;
  const char *host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
    else if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--host H] [--port N]\n", argv[0]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  lws_set_log_level(LLL_ERR, NULL);

  getrlimit(RLIMIT_NOFILE, &rl);
  memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.fd_limit_per_thread = rl.rlim_cur == RLIM_INFINITY ? 65536 : (unsigned)rl.rlim_cur;
  /* per-thread read buffer: fernws uses 64 KiB (FWS_SERV_BUF); ECHO_SERV_BUF overrides */
  info.pt_serv_buf_size = getenv("ECHO_SERV_BUF") ? (unsigned)atoi(getenv("ECHO_SERV_BUF")) : 65536;
  g_ctx = lws_create_context(&info);
  if (!g_ctx) {
    fprintf(stderr, "echo_server: cannot create the context\n");
    return 1;
  }
  memset(&info, 0, sizeof info);
  info.vhost_name = "echo";
  info.port = port;
  info.iface = host;
  info.protocols = protocols;
  info.retry_and_idle_policy = &no_validity;
  vh = lws_create_vhost(g_ctx, &info);
  if (!vh) {
    fprintf(stderr, "echo_server: cannot listen on %s:%d\n", host, port);
    lws_context_destroy(g_ctx);
    return 1;
  }
  printf("port %d\n", lws_get_vhost_listen_port(vh));
  fflush(stdout);
  while (!interrupted && lws_service(g_ctx, 0) >= 0) {
  }
  lws_context_destroy(g_ctx);
  return 0;
}
