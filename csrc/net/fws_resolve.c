/*
** fws_resolve.c: getaddrinfo off the loop thread. libwebsockets 4.1.6 (Debian) has no async
** DNS and would block the loop inside connect, so we resolve here and connect to the number.
**
** Worker threads are detached and come and go with the work (at most FWS_RES_THREADS). The
** shared state is reference counted so fws_loop_free never waits for a slow lookup: it only
** drops its reference and forgets the context. lws_cancel_service() is the one libwebsockets
** call that is safe from another thread; it wakes the loop to collect the result. A host that
** waits on the loop's descriptor (fws_pollfd.c) is woken through its eventfd as well.
*/
#define _GNU_SOURCE /* dladdr, RTLD_NODELETE */
#include <dlfcn.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/fws_int.h"

#define FWS_RES_THREADS 4

struct fws_resolver {
  pthread_mutex_t mu;
  int refs;            /* the loop + each running thread */
  int nthreads, idle;
  struct lws_context *ctx;  /* NULL once the loop is gone */
  int wake_fd;         /* the loop's eventfd, -1: none */
  fws_job *todo, *todo_tail;
  fws_job *done, *done_tail;
  int running;         /* jobs inside getaddrinfo */
};

static void unref_locked(fws_resolver *r, int *gone) {
  *gone = --r->refs == 0;
}

static void free_list(fws_job *j) {
  while (j) {
    fws_job *n = j->next;
    free(j);
    j = n;
  }
}

static void lookup(fws_job *j) {
  struct addrinfo hints, *res = NULL, *ai;
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  /* No AI_ADDRCONFIG: it hides ::1 for "localhost" on hosts without global IPv6. Addresses
  ** that cannot be reached are tried in turn by the client anyway. */
  rc = getaddrinfo(j->host, NULL, &hints, &res);
  if (rc) {
    j->failed = 1;
    snprintf(j->addr[0], sizeof j->addr[0], "%s", gai_strerror(rc));
    return;
  }
  for (ai = res; ai && j->naddr < FWS_MAX_ADDRS; ai = ai->ai_next) {
    const void *a = NULL;
    int k, dup = 0;
    if (ai->ai_family == AF_INET) a = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    else if (ai->ai_family == AF_INET6) a = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    if (!a || !inet_ntop(ai->ai_family, a, j->addr[j->naddr], sizeof j->addr[0])) continue;
    for (k = 0; k < j->naddr; k++) dup |= !strcmp(j->addr[k], j->addr[j->naddr]);
    if (!dup) j->naddr++;
  }
  if (!j->naddr) {
    j->failed = 1;
    snprintf(j->addr[0], sizeof j->addr[0], "no address");
  }
  freeaddrinfo(res);
}

static void *worker(void *arg) {
  fws_resolver *r = arg;
  int gone;
  pthread_mutex_lock(&r->mu);
  for (;;) {
    fws_job *j = r->todo;
    if (!j || !r->ctx) break;
    r->todo = j->next;
    if (!r->todo) r->todo_tail = NULL;
    j->next = NULL;
    r->running++;
    pthread_mutex_unlock(&r->mu);
    lookup(j);
    pthread_mutex_lock(&r->mu);
    r->running--;
    if (!r->ctx) {  /* the loop went away meanwhile */
      free(j);
      continue;
    }
    if (r->done_tail) r->done_tail->next = j;
    else r->done = j;
    r->done_tail = j;
    lws_cancel_service(r->ctx);
    if (r->wake_fd >= 0) {
      uint64_t one = 1;
      if (write(r->wake_fd, &one, sizeof one) < 0) { /* EAGAIN: it is readable anyway */ }
    }
  }
  r->nthreads--;
  unref_locked(r, &gone);
  pthread_mutex_unlock(&r->mu);
  if (gone) {
    pthread_mutex_destroy(&r->mu);
    free_list(r->todo);
    free(r);
  }
  return NULL;
}

/* Detached workers can outlive their loop by the length of a lookup. If the object holding their
** code were unloaded meanwhile (lua_close dlcloses the Lua module right after freeing the loop)
** they would crash: keep this object mapped for the life of the process. */
static void pin_code(void) {
  Dl_info info;
  if (dladdr((void *)worker, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

fws_resolver *fws_resolver_new(struct lws_context *ctx) {
  static pthread_once_t pinned = PTHREAD_ONCE_INIT;
  fws_resolver *r;
  pthread_once(&pinned, pin_code);
  r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (pthread_mutex_init(&r->mu, NULL)) {
    free(r);
    return NULL;
  }
  r->refs = 1;
  r->ctx = ctx;
  r->wake_fd = -1;
  return r;
}

fws_job *fws_resolver_submit(fws_resolver *r, fws_conn *c, const char *host, int port) {
  size_t n = strlen(host);
  fws_job *j = calloc(1, sizeof *j + n + 1);
  if (!j) return NULL;
  j->conn = c;
  j->port = port;
  memcpy(j->host, host, n + 1);
  pthread_mutex_lock(&r->mu);
  if (r->todo_tail) r->todo_tail->next = j;
  else r->todo = j;
  r->todo_tail = j;
  if (r->nthreads < FWS_RES_THREADS && r->nthreads <= r->running) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&t, &at, worker, r) == 0) {
      r->nthreads++;
      r->refs++;
    } else if (r->nthreads == 0) {  /* no thread will ever run it */
      r->todo = r->todo_tail = NULL;
      pthread_mutex_unlock(&r->mu);
      pthread_attr_destroy(&at);
      free(j);
      return NULL;
    }
    pthread_attr_destroy(&at);
  }
  pthread_mutex_unlock(&r->mu);
  return j;
}

void fws_resolver_cancel(fws_resolver *r, fws_job *j) {
  fws_job **pp;
  pthread_mutex_lock(&r->mu);
  j->conn = NULL;
  for (pp = &r->todo; *pp; pp = &(*pp)->next)  /* not started: drop it now */
    if (*pp == j) {
      *pp = j->next;
      if (r->todo_tail == j) {
        fws_job *t = r->todo;
        while (t && t->next) t = t->next;
        r->todo_tail = t;
      }
      free(j);
      break;
    }
  /* running or done: fws_resolver_take hands it back with conn NULL, the loop frees it */
  pthread_mutex_unlock(&r->mu);
}

void fws_resolver_set_wake(fws_resolver *r, int fd) {
  pthread_mutex_lock(&r->mu);
  r->wake_fd = fd;
  pthread_mutex_unlock(&r->mu);
}

int fws_resolver_has_done(fws_resolver *r) {
  int has;
  if (!r) return 0;
  pthread_mutex_lock(&r->mu);
  has = r->done != NULL;
  pthread_mutex_unlock(&r->mu);
  return has;
}

fws_job *fws_resolver_take(fws_resolver *r) {
  fws_job *j;
  pthread_mutex_lock(&r->mu);
  j = r->done;
  if (j) {
    r->done = j->next;
    if (!r->done) r->done_tail = NULL;
    j->next = NULL;
  }
  pthread_mutex_unlock(&r->mu);
  return j;
}

void fws_resolver_detach(fws_resolver *r) {
  int gone;
  fws_job *todo, *done;
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->ctx = NULL;
  r->wake_fd = -1;
  todo = r->todo;
  done = r->done;
  r->todo = r->todo_tail = r->done = r->done_tail = NULL;
  unref_locked(r, &gone);
  pthread_mutex_unlock(&r->mu);
  free_list(todo);
  free_list(done);
  if (gone) {
    pthread_mutex_destroy(&r->mu);
    free(r);
  }
}
