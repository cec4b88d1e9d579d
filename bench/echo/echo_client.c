/*
** echo_client.c: the raw C libwebsockets client of the echo benchmark, one thread.
**
**   echo_client rt   URL INFLIGHT SECONDS [WARMUP]
**       One connection; INFLIGHT messages {"seq":N,"op":"echo","data":"hello world"} are sent
**       at open, and each echo that comes back (its seq read back) is answered by the next
**       message. Counts round trips for SECONDS after WARMUP seconds and prints
**       "rate R" (round trips per second). The same work the fernws and Node clients do, minus
**       the schema: format the JSON text, send it, wait for the echo, read it.
**
**   echo_client hold URL COUNT [SERVER_PID]
**       Opens COUNT idle connections (after one warm-up connection) and prints RSS figures:
**       "opened N", "client_kb_per_conn X", and with SERVER_PID the server's RSS delta per
**       connection "server_kb_per_conn Y". Then holds them until SIGTERM/SIGINT or stdin closes.
**
** The service loop blocks in lws_service(ctx, 0), as fernws.run() does.
*/
#define _GNU_SOURCE
#include <libwebsockets.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct pss {
  int established;
  int to_send;         /* messages owed to the server */
} pss;

static volatile sig_atomic_t interrupted;
static struct lws_context *g_ctx;
static long long g_seq;          /* last seq sent */
static long long g_count;        /* echoes received */
static long long g_seqsum;       /* sum of seqs read back: keeps the parse honest */
static int g_inflight = 1;
static int g_open, g_failed, g_closed;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
  if (g_ctx) lws_cancel_service(g_ctx);
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(int pid) {
  char path[64];
  long pages = 0, res = 0;
  FILE *f;
  if (pid) snprintf(path, sizeof path, "/proc/%d/statm", pid);
  else snprintf(path, sizeof path, "/proc/self/statm");
  f = fopen(path, "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  pss *p = user;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    p->established = 1;
    g_open++;
    p->to_send = g_inflight;
    if (p->to_send) lws_callback_on_writable(wsi);
    break;
  case LWS_CALLBACK_CLIENT_RECEIVE: {
    /* messages are ~45 bytes: one fragment; read the seq back as a client would */
    const char *s = memmem(in, len, "\"seq\":", 6);
    if (!lws_is_final_fragment(wsi)) break;
    if (s) g_seqsum += strtoll(s + 6, NULL, 10);
    g_count++;
    p->to_send++;
    lws_callback_on_writable(wsi);
    break;
  }
  case LWS_CALLBACK_CLIENT_WRITEABLE: {
    unsigned char buf[LWS_PRE + 128];
    int n;
    if (!p->to_send) break;
    n = snprintf((char *)buf + LWS_PRE, 128, "{\"seq\":%lld,\"op\":\"echo\",\"data\":\"hello world\"}",
                 ++g_seq);
    if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n) return -1;
    if (--p->to_send) lws_callback_on_writable(wsi);
    break;
  }
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    g_failed++;
    if (g_failed <= 3)
      fprintf(stderr, "echo_client: connection error: %s\n", in ? (const char *)in : "?");
    break;
  case LWS_CALLBACK_CLIENT_CLOSED:
    g_closed++;
    break;
  default:
    break;
  }
  return 0;
}

static const struct lws_protocols protocols[] = {
    {"echo-client", callback, sizeof(pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const lws_retry_bo_t no_validity = {0};

typedef struct target {
  char host[256];
  char path[256];
  int port;
} target;

static int parse_url(const char *url, target *t) {
  const char *p = url;
  if (strncmp(p, "ws://", 5)) return -1;
  p += 5;
  const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
  if (!colon || (slash && slash < colon)) return -1;
  snprintf(t->host, sizeof t->host, "%.*s", (int)(colon - p), p);
  t->port = atoi(colon + 1);
  snprintf(t->path, sizeof t->path, "%s", slash ? slash : "/");
  return 0;
}

static struct lws *connect_one(target *t) {
  struct lws_client_connect_info i;
  memset(&i, 0, sizeof i);
  i.context = g_ctx;
  i.address = t->host;
  i.port = t->port;
  i.path = t->path;
  i.host = t->host;
  i.origin = t->host;
  i.protocol = NULL;  /* no subprotocol, like the other clients */
  i.local_protocol_name = "echo-client";
  i.retry_and_idle_policy = &no_validity;
  return lws_client_connect_via_info(&i);
}

static void service_until(double t_end, int want_open) {
  while (!interrupted && now_s() < t_end && (want_open < 0 || g_open + g_failed < want_open))
    lws_service(g_ctx, -1) ? (void)0 : (void)poll(NULL, 0, 1);
}

static int run_rt(target *t, double secs, double warm) {
  double t0, t1, cpu0, cpu1;
  long long c0;
  if (!connect_one(t)) {
    fprintf(stderr, "echo_client: connect failed\n");
    return 1;
  }
  alarm((unsigned)(warm + secs + 30));  /* a stalled run ends, it does not hang the script */
  while (!interrupted && !g_open && !g_failed) lws_service(g_ctx, 0);
  if (!g_open) return 1;
  t0 = now_s();
  while (!interrupted && now_s() - t0 < warm) lws_service(g_ctx, 0);
  c0 = g_count;
  cpu0 = cpu_s();
  t0 = now_s();
  t1 = t0 + secs;
  while (!interrupted && now_s() < t1 && !g_closed) lws_service(g_ctx, 0);
  t1 = now_s();
  cpu1 = cpu_s();
  if (g_closed) {
    fprintf(stderr, "echo_client: the connection closed\n");
    return 1;
  }
  printf("rate %.1f\n", (double)(g_count - c0) / (t1 - t0));
  printf("cpu_us_per_rt %.3f\n", (cpu1 - cpu0) * 1e6 / (double)(g_count - c0 > 0 ? g_count - c0 : 1));
  printf("count %lld total %lld seqsum %lld\n", g_count - c0, g_count, g_seqsum);
  return 0;
}

static int run_hold(target *t, int count, int server_pid) {
  long base, sbase = 0, after, safter = 0;
  int i;
  g_inflight = 0;
  /* warm-up connection: lws allocates per-thread things on first use */
  if (!connect_one(t)) return 1;
  service_until(now_s() + 5, 1);
  if (g_open != 1) {
    fprintf(stderr, "echo_client: warm-up connection failed\n");
    return 1;
  }
  service_until(now_s() + 0.2, -1);
  base = rss_kb(0);
  if (server_pid) sbase = rss_kb(server_pid);
  double t0 = now_s();
  for (i = 0; i < count && !interrupted; i++) {
    if (!connect_one(t)) g_failed++;
    /* a few hundred at a time: the listen backlog and the handshakes keep up */
    if (i % 200 == 199) service_until(now_s() + 10, i + 1 + 1 - 100);
  }
  service_until(now_s() + 60, count + 1);
  double t1 = now_s();
  service_until(now_s() + 0.5, -1);
  after = rss_kb(0);
  if (server_pid) safter = rss_kb(server_pid);
  printf("opened %d failed %d seconds %.2f\n", g_open - 1, g_failed, t1 - t0);
  printf("client_rss_kb %ld %ld\n", base, after);
  printf("client_kb_per_conn %.2f\n", (double)(after - base) / (g_open - 1 > 0 ? g_open - 1 : 1));
  if (server_pid) {
    printf("server_rss_kb %ld %ld\n", sbase, safter);
    printf("server_kb_per_conn %.2f\n", (double)(safter - sbase) / (g_open - 1 > 0 ? g_open - 1 : 1));
  }
  printf("held\n");
  fflush(stdout);
  /* hold until told to stop (signal, or stdin closed by the script) */
  struct pollfd pfd = {0, POLLIN, 0};
  while (!interrupted) {
    lws_service(g_ctx, -1);
    if (poll(&pfd, 1, 50) > 0) {
      char b[64];
      if (read(0, b, sizeof b) <= 0) break;
    }
  }
  return g_open - 1 == count ? 0 : 1;
}

int main(int argc, char **argv) {
  struct lws_context_creation_info info;
  struct rlimit rl;
  target t;
  int rc;
  if (argc < 4 || parse_url(argv[2], &t)) {
    fprintf(stderr,
            "usage: %s rt ws://HOST:PORT[/path] INFLIGHT SECONDS [WARMUP]\n"
            "       %s hold ws://HOST:PORT[/path] COUNT [SERVER_PID]\n",
            argv[0], argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  setvbuf(stdout, NULL, _IOLBF, 0);
  lws_set_log_level(LLL_ERR, NULL);
  getrlimit(RLIMIT_NOFILE, &rl);
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.fd_limit_per_thread = rl.rlim_cur == RLIM_INFINITY ? 65536 : (unsigned)rl.rlim_cur;
  /* per-thread read buffer: fernws uses 64 KiB (FWS_SERV_BUF); ECHO_SERV_BUF overrides */
  info.pt_serv_buf_size = getenv("ECHO_SERV_BUF") ? (unsigned)atoi(getenv("ECHO_SERV_BUF")) : 65536;
  info.retry_and_idle_policy = &no_validity;
  g_ctx = lws_create_context(&info);
  if (!g_ctx) {
    fprintf(stderr, "echo_client: cannot create the context\n");
    return 1;
  }
  if (!strcmp(argv[1], "rt")) {
    g_inflight = atoi(argv[3]);
    rc = run_rt(&t, atof(argc > 4 ? argv[4] : "3"), argc > 5 ? atof(argv[5]) : 0.5);
  } else if (!strcmp(argv[1], "hold")) {
    rc = run_hold(&t, atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0);
  } else {
    fprintf(stderr, "echo_client: unknown mode %s\n", argv[1]);
    rc = 2;
  }
  lws_context_destroy(g_ctx);
  return rc;
}
