/*
** fws_pollfd.c: the loop as one descriptor in a host's loop (luv, cqueues, a tool's own epoll):
** the cqueues polling protocol, pollfd / timeout / step.
**
** Debian's libwebsockets 4.1.6 has no external poll (no ADD/DEL/CHANGE_MODE_POLL_FD callbacks), so
** the descriptor is an epoll set of our own, made on the first fws_loop_pollfd, holding:
**   - every socket lws polls for us: clients (fws_client.c, when the socket is made), peers (when
**     adopted), listeners (ours: fws_server.c). A socket leaves the set when lws closes it.
**   - an eventfd, written when work appears that no socket shows: a name lookup finished (from the
**     resolver's thread), an event queued or a message sent by user code outside poll/run/step
**     (fws_loop_kick), or a step that stopped on its budget with work left.
** Sockets are edge-triggered (in and out): lws wants POLLOUT only at times we cannot see, and a
** writable socket would keep a level-triggered set readable for ever. An edge is enough because
** a step runs lws_service until a pass does nothing, and lws' own poll() is level-triggered: what
** an edge announced is done before the step ends, or the step reports work left. Whatever was
** ready when a step began is consumed from the set first (fws_pollfd_drain), so a quiet loop
** leaves the descriptor quiet: no busy host loop.
**
** timeout() is exact: every lws timer (ours: connect timeouts, keepalive, reconnect delays,
** fws_timer; and lws' own: lws_set_timeout for handshakes and close grace, its connect wait, its
** housekeeping) sits on one of two sorted lists per service thread. The head of the one our suls
** go on is read through the owner of a sul of ours; the other is public
** (lws_sul_earliest_wakeable_event). That owner pointer is a 4.1.6 fact (lws_sorted_usec_list_t and
** lws_dll2 are public structs, the list's sharing is not documented): if it were ever missing,
** timeout() is bounded by FWS_TIMEOUT_CAP instead.
*/
#define _GNU_SOURCE /* epoll, eventfd */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/fws_int.h"

#define FWS_TIMEOUT_CAP 1.0      /* seconds: timeout() when the timer lists cannot be read */
#define FWS_PARTIAL_CAP 0.05     /* seconds: timeout() while a socket is missing from the set */
#define FWS_DRAIN_BATCH 64
#define FWS_SOCKET_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

static void owner_probe_cb(lws_sorted_usec_list_t *sul) { (void)sul; }

void fws_pollfd_init(fws_loop *loop) {
  loop->epfd = loop->evfd = -1;
  /* where lws keeps the suls we schedule: run_sul is idle now, borrow it for a moment */
  lws_sul_schedule(loop->ctx, 0, &loop->run_sul, owner_probe_cb, 3600 * LWS_US_PER_SEC);
  loop->sul_owner = loop->run_sul.list.owner;
  lws_sul_cancel(&loop->run_sul);
}

static int add_fd(fws_loop *loop, int fd, uint32_t events) {
  struct epoll_event ev;
  ev.events = events;
  ev.data.fd = fd;
  if (!epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) || errno == EEXIST) return 0;
  return -1;
}

void fws_pollfd_add(fws_loop *loop, int fd) {
  if (loop->epfd < 0 || fd < 0) return;
  if (add_fd(loop, fd, FWS_SOCKET_EVENTS)) loop->pollfd_partial = 1;
  fws_loop_kick(loop);  /* a new socket comes with deadlines (connect timeout, handshake) */
}

int fws_loop_pollfd(fws_loop *loop) {
  fws_conn *c;
  fws_server *s;
  if (!loop || loop->freeing) {
    errno = EINVAL;
    return -1;
  }
  if (loop->epfd >= 0) return loop->epfd;
  loop->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epfd < 0) return -1;
  loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->evfd < 0 || add_fd(loop, loop->evfd, EPOLLIN)) {  /* level: a kick is never lost */
    int e = errno;
    fws_pollfd_free(loop);
    errno = e;
    return -1;
  }
  /* the sockets made before there was a set */
  for (c = loop->conns; c; c = c->next)
    if (c->wsi && add_fd(loop, lws_get_socket_fd(c->wsi), FWS_SOCKET_EVENTS)) loop->pollfd_partial = 1;
  for (s = loop->servers; s; s = s->next)
    if (s->lwsi && add_fd(loop, lws_get_socket_fd(s->lwsi), FWS_SOCKET_EVENTS)) loop->pollfd_partial = 1;
  fws_resolver_set_wake(loop->res, loop->evfd);
  /* what is already waiting (events, lookups done) shows at once */
  if (fws_loop_ready(loop)) fws_loop_kick(loop);
  return loop->epfd;
}

void fws_loop_kick(fws_loop *loop) {
  uint64_t one = 1;
  if (loop->evfd < 0 || loop->driving || loop->kicked) return;
  loop->kicked = 1;
  if (write(loop->evfd, &one, sizeof one) < 0) loop->kicked = 0;  /* EAGAIN: it is readable */
}

int fws_loop_ready(fws_loop *loop) {
  return loop->evhead || loop->flush || loop->kills || loop->left ||
         fws_resolver_has_done(loop->res) || !lws_service_adjust_timeout(loop->ctx, 1, 0);
}

void fws_pollfd_drain(fws_loop *loop) {
  struct epoll_event ev[FWS_DRAIN_BATCH];
  int n, i;
  if (loop->epfd < 0) return;
  do {
    n = epoll_wait(loop->epfd, ev, FWS_DRAIN_BATCH, 0);
    for (i = 0; i < n; i++)
      if (ev[i].data.fd == loop->evfd) {
        uint64_t v;
        if (read(loop->evfd, &v, sizeof v) < 0) { /* EAGAIN: someone read it already */ }
        loop->kicked = 0;
      }
  } while (n == FWS_DRAIN_BATCH);
}

void fws_pollfd_wait(fws_loop *loop, double seconds) {
  struct epoll_event ev;
  double t = fws_loop_timeout(loop);
  int ms;
  if (loop->epfd < 0 && fws_loop_pollfd(loop) < 0) return;
  if (t >= 0 && t < seconds) seconds = t;
  if (seconds <= 0) return;
  ms = seconds > 86400 ? 86400000 : (int)(seconds * 1e3 + 0.999);  /* not before the deadline */
  if (epoll_wait(loop->epfd, &ev, 1, ms) < 0) { /* EINTR: the step goes on at once */ }
}

/* The earliest timer of either sorted list, 1 when there is one. */
static int next_timer(fws_loop *loop, lws_usec_t *when) {
  lws_usec_t w;
  int have = 0;
  if (loop->sul_owner && loop->sul_owner->head) {
    *when = lws_container_of(loop->sul_owner->head, lws_sorted_usec_list_t, list)->us;
    have = 1;
  }
  if (!lws_sul_earliest_wakeable_event(loop->ctx, &w) && (!have || w < *when)) {
    *when = w;
    have = 1;
  }
  return have;
}

double fws_loop_timeout(fws_loop *loop) {
  lws_usec_t when, now;
  double t = -1;
  if (!loop || loop->freeing) return -1;
  if (fws_loop_ready(loop)) return 0;
  if (next_timer(loop, &when)) {
    now = lws_now_usecs();
    t = when <= now ? 0 : (double)(when - now) / 1e6;
  }
  if (!loop->sul_owner && (t < 0 || t > FWS_TIMEOUT_CAP)) t = FWS_TIMEOUT_CAP;
  if (loop->pollfd_partial && (t < 0 || t > FWS_PARTIAL_CAP)) t = FWS_PARTIAL_CAP;
  return t;
}

void fws_pollfd_free(fws_loop *loop) {
  if (loop->res) fws_resolver_set_wake(loop->res, -1);
  if (loop->epfd >= 0) close(loop->epfd);
  if (loop->evfd >= 0) close(loop->evfd);
  loop->epfd = loop->evfd = -1;
}
