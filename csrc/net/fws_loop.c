/*
** fws_loop.c: the libwebsockets context, the event queue, poll and run.
**
** lws_service(ctx, t) blocks for any t >= 0 (until the next lws timer or fd activity), so poll
** loops lws_service(ctx, -1) while work happens and run blocks in lws_service(ctx, 0). Events
** queued during a blocking pass from a timer (sul) would not end that pass by themselves, so the
** first event queued during one calls lws_cancel_service(). step (for hosts that own the loop) is
** poll after the loop's descriptor was consumed (fws_pollfd.c).
*/
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "net/fws_int.h"

#define FWS_FD_CAP 131072  /* fd tables are sized by the fd limit: do not let a huge one bloat them */

/* Our own keepalive replaces lws' validity pings (the server default would ping every 300 s). */
static const lws_retry_bo_t fws_no_validity = {0};

void fws_set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || !errlen) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* lws logs go to stderr only when FWS_DEBUG is set; lws never sees header values from us. */
static void log_emit(int level, const char *line) {
  (void)level;
  if (getenv("FWS_DEBUG")) fputs(line, stderr);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static void set_log_level(void) { lws_set_log_level(LLL_ERR | LLL_WARN, log_emit); }

double fws_random(fws_loop *loop) {  /* xorshift64*: jitter only, not security */
  uint64_t x = loop->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  loop->rng = x;
  return (double)((x * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return 1024;
  if (rl.rlim_cur != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max)) {
    rlim_t want = rl.rlim_max;
    if (want == RLIM_INFINITY || want > FWS_FD_CAP) want = FWS_FD_CAP;
    if (want > rl.rlim_cur) {
      rl.rlim_cur = want;
      setrlimit(RLIMIT_NOFILE, &rl);
      getrlimit(RLIMIT_NOFILE, &rl);
    }
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FWS_FD_CAP) return FWS_FD_CAP;
  return (int)rl.rlim_cur;
}

const lws_retry_bo_t *fws_retry_policy(void) { return &fws_no_validity; }

fws_loop *fws_loop_new(char *err, size_t errlen) {
  struct lws_context_creation_info info;
  fws_loop *loop = calloc(1, sizeof *loop);
  struct timespec ts;
  if (!loop) {
    fws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  pthread_once(&log_once, set_log_level);  /* lws' level is process-wide: loops in threads share it */
  loop->out = malloc(LWS_PRE + FWS_WRITE_CHUNK + FWS_OUT_SLACK);
  if (!loop->out) {
    free(loop);
    fws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  loop->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)loop;
  if (!loop->rng) loop->rng = 88172645463325252ull;
  loop->cli_protocols[0].name = "fws";
  loop->cli_protocols[0].callback = fws_lws_callback;
  loop->cli_protocols[0].tx_packet_size = FWS_WRITE_CHUNK + FWS_OUT_SLACK;  /* one send() a write */

  memset(&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.pt_serv_buf_size = FWS_SERV_BUF;
  info.fd_limit_per_thread = (unsigned int)fd_limit();
  info.retry_and_idle_policy = &fws_no_validity;
  info.user = loop;
  loop->ctx = lws_create_context(&info);
  if (!loop->ctx) {
    free(loop->out);
    free(loop);
    fws_set_err(err, errlen, "cannot create the libwebsockets context");
    return NULL;
  }
  /* Every client socket is a raw one on this vhost: TLS and the upgrade are ours. */
  memset(&info, 0, sizeof info);
  info.vhost_name = "fws-cli";
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = loop->cli_protocols;
  info.retry_and_idle_policy = &fws_no_validity;
  loop->clivh = lws_create_vhost(loop->ctx, &info);
  if (!loop->clivh || !(loop->res = fws_resolver_new(loop->ctx))) {
    fws_set_err(err, errlen, loop->clivh ? "out of memory" : "cannot create the client vhost");
    lws_context_destroy(loop->ctx);
    free(loop->out);
    free(loop);
    return NULL;
  }
  fws_pollfd_init(loop);
  return loop;
}

/* ---- events ---- */

/* Only what runs before lws_service's poll() (sul timers: ours and lws' own timeouts) needs the
** wake: an event queued by a socket callback is already past the poll, and the pass returns. */
void fws_loop_wake(fws_loop *loop) {
  if (loop->blocking && !loop->woken && !loop->after_poll) {
    loop->woken = 1;
    lws_cancel_service(loop->ctx);
  }
}

static fws_qev *push(fws_loop *loop, fws_conn *c, fws_event_kind kind, size_t extra) {
  fws_qev *e = calloc(1, sizeof *e + extra + 1);
  if (!e) return NULL;
  e->conn = c;
  e->ev.kind = kind;
  if (loop->evtail) loop->evtail->next = e;
  else loop->evhead = e;
  loop->evtail = e;
  c->nevents++;
  fws_loop_wake(loop);
  fws_loop_kick(loop);  /* an event queued by user code, outside poll/run/step */
  return e;
}

fws_qev *fws_ev_push(fws_loop *loop, fws_conn *c, fws_event_kind kind, const char *data,
                     size_t len) {
  fws_qev *e;
  if (c->user_closed || loop->freeing) return NULL;
  e = push(loop, c, kind, len);
  if (!e) return NULL;
  if (len) memcpy(e + 1, data, len);
  e->ev.data = (const char *)(e + 1);
  e->ev.len = len;
  return e;
}

fws_qev *fws_ev_push_owned(fws_loop *loop, fws_conn *c, fws_event_kind kind, char *buf,
                           size_t len) {
  fws_qev *e = NULL;
  if (!c->user_closed && !loop->freeing) e = push(loop, c, kind, 0);
  if (!e) {
    free(buf);
    return NULL;
  }
  e->heap = buf;
  e->ev.data = buf;
  e->ev.len = len;
  return e;
}

/* An error event: the message, then (after its NUL) the detail, both in the event's own block. */
void fws_ev_fault(fws_conn *c, fws_err_kind kind, int status, const char *detail, size_t dlen,
                  const char *msg) {
  size_t mlen = strlen(msg);
  fws_qev *e;
  if (c->user_closed || c->loop->freeing) return;
  if (!detail) dlen = 0;
  if (dlen > FWS_DETAIL_MAX) dlen = FWS_DETAIL_MAX;
  if (!(e = push(c->loop, c, FWS_EV_ERROR, mlen + 1 + dlen))) return;
  memcpy(e + 1, msg, mlen);
  if (dlen) memcpy((char *)(e + 1) + mlen + 1, detail, dlen);
  e->ev.data = (const char *)(e + 1);
  e->ev.len = mlen;
  e->ev.detail = (const char *)(e + 1) + mlen + 1;
  e->ev.detail_len = dlen;
  e->ev.status = status;
  e->ev.err = kind;
}

void fws_ev_error(fws_conn *c, fws_err_kind kind, int status, const char *fmt, ...) {
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fws_ev_fault(c, kind, status, NULL, 0, msg);
}

static void free_event(fws_qev *e) {
  if (e->timer && e->timer->cancelled) free(e->timer);  /* see fws_timer_cancel */
  free(e->heap);
  free(e);
}

/* Delivers the events queued so far; events queued by the callbacks wait for the next round.
** Past the deadline (ms on now_ms' clock, < 0: none; looked at every 8 events) the rest wait too. */
static int deliver(fws_loop *loop, double deadline) {
  fws_qev *last = loop->evtail;
  int n = 0;
  unsigned k = 0;
  while (last && loop->evhead) {
    fws_qev *e = loop->evhead;
    int end = e == last;
    loop->evhead = e->next;
    if (!loop->evhead) loop->evtail = NULL;
    if (e->timer) {
      fws_timer *t = e->timer;
      e->timer = NULL;
      if (!t->cancelled) n++;
      fws_timer_deliver(t);
    } else {
      fws_conn *c = e->conn;
      if (!c->user_closed && c->cb) {
        c->cb(c, &e->ev, c->user);
        n++;
      }
      c->nevents--;
      fws_conn_maybe_free(c);
    }
    free_event(e);
    if (end || (deadline >= 0 && !(++k & 7) && now_ms() >= deadline)) break;  /* every 8th: cheap */
  }
  fws_conn_flush(loop);  /* what the callbacks sent */
  return n;
}

static void run_kills(fws_loop *loop) {
  while (loop->kills) {
    fws_conn *c = loop->kills;
    loop->kills = c->kill_next;
    c->kill_next = NULL;
    fws_conn_kill(c);  /* kill_req still set: the conn outlives its wsi's destruction here */
    c->kill_req = 0;
    fws_conn_maybe_free(c);
  }
}

/* Work that must happen outside lws_service: resolver results and deferred kills. */
static int housekeep(fws_loop *loop) {
  int n = 0;
  fws_job *j;
  run_kills(loop);
  while ((j = fws_resolver_take(loop->res))) {
    n++;
    if (j->conn) fws_client_on_resolved(j);
    free(j);
  }
  return n;
}

static void service(fws_loop *loop, int timeout) {
  fws_conn_flush(loop);  /* what user code sent since the last round */
  loop->in_service = 1;
  loop->after_poll = 0;
  lws_service(loop->ctx, timeout);
  loop->in_service = 0;
  run_kills(loop);
}

/* Rounds of events and service passes until a pass does nothing, or the budget is spent (then
** loop->left says work was left for the next call). The budget is checked between events too: a
** round's callbacks are most of its time. Events left over are delivered before the sockets are
** read again, so a backlog cannot grow from call to call. */
static int pump(fws_loop *loop, double budget_ms) {
  double deadline = now_ms() + (budget_ms > 0 ? budget_ms : 0);
  int delivered = 0;
  loop->left = 0;
  for (;;) {
    unsigned long a0 = loop->activity;
    int work = housekeep(loop), n = 0;
    delivered += deliver(loop, deadline);  /* left over, or queued by user calls between polls */
    if (!loop->evhead) {
      service(loop, -1);
      n = deliver(loop, deadline);
      delivered += n;
    }
    if (!n && !work && loop->activity == a0 && !loop->evhead) break;
    if (now_ms() >= deadline) {
      loop->left = 1;
      break;
    }
  }
  return delivered;
}

/* The end of poll, run or step: a host waiting on the descriptor hears of what is left. */
static void drive_end(fws_loop *loop) {
  loop->driving = 0;
  if (loop->evfd >= 0 && fws_loop_ready(loop)) fws_loop_kick(loop);
}

int fws_loop_poll(fws_loop *loop, double budget_ms) {
  int delivered;
  if (!loop || loop->in_service || loop->freeing || loop->driving) return 0;
  loop->driving = 1;
  delivered = pump(loop, budget_ms);
  drive_end(loop);
  return delivered;
}

int fws_loop_step(fws_loop *loop, double wait, double budget_ms) {
  int delivered;
  if (!loop || loop->in_service || loop->freeing || loop->driving) return 0;
  loop->driving = 1;
  if (wait > 0 && !fws_loop_ready(loop)) fws_pollfd_wait(loop, wait);
  fws_pollfd_drain(loop);  /* before the work: what turns ready meanwhile wakes the host again */
  delivered = pump(loop, budget_ms);
  drive_end(loop);
  return delivered;
}

static void run_deadline(lws_sorted_usec_list_t *sul) {
  fws_loop *loop = lws_container_of(sul, fws_loop, run_sul);
  lws_cancel_service(loop->ctx);
}

int fws_loop_run(fws_loop *loop, double seconds) {
  double deadline = seconds >= 0 ? now_ms() + seconds * 1e3 : 0;
  int r = 0;
  if (!loop || loop->in_service || loop->freeing || loop->driving) return 0;
  loop->driving = 1;
  loop->left = 0;
  loop->stop = 0;
  if (seconds >= 0)
    lws_sul_schedule(loop->ctx, 0, &loop->run_sul, run_deadline, (lws_usec_t)(seconds * 1e6));
  for (;;) {
    housekeep(loop);
    deliver(loop, -1);
    if (loop->stop || fws_sigint_pending()) break;
    if (!fws_loop_active(loop) && !loop->evhead) {
      r = 1;
      break;
    }
    if (seconds >= 0 && now_ms() >= deadline) break;
    if (loop->evhead || loop->kills) continue;
    loop->blocking = 1;
    loop->woken = 0;
    service(loop, 0);
    loop->blocking = 0;
    deliver(loop, -1);
  }
  lws_sul_cancel(&loop->run_sul);
  loop->stop = 0;
  drive_end(loop);
  return r;
}

void fws_loop_stop(fws_loop *loop) {
  if (!loop) return;
  loop->stop = 1;
  if (loop->in_service) lws_cancel_service(loop->ctx);
}

size_t fws_loop_active(const fws_loop *loop) {
  return loop ? loop->nalive + loop->nservers + loop->ntimers : 0;
}

void fws_loop_free(fws_loop *loop) {
  fws_conn *c;
  if (!loop || loop->in_service) return;
  loop->freeing = 1;
  for (c = loop->conns; c; c = c->next) c->user_closed = 1;  /* no callback from here on */
  fws_pollfd_free(loop);
  fws_resolver_detach(loop->res);
  loop->res = NULL;
  fws_timer_free_all(loop);
  /* Destroying the context closes every wsi; our callbacks only clear pointers now. */
  lws_context_destroy(loop->ctx);
  loop->ctx = NULL;
  while (loop->evhead) {
    fws_qev *e = loop->evhead;
    loop->evhead = e->next;
    if (e->timer) e->timer->cancelled = 1;
    free_event(e);
  }
  loop->evtail = NULL;
  loop->flush = NULL;  /* every conn goes now */
  fws_conn_free_all(loop);
  fws_server_free_all(loop);
  fws_tlscli_free_ctxs(loop);
  free(loop->out);
  free(loop);
}
