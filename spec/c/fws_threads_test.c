/*
** fws_threads_test: what crosses threads in csrc/net, for ThreadSanitizer (scripts/build.sh tsan,
** run by scripts/test.sh): two loops in two threads (a server in one, clients in the other) that
** talk over loopback, clients whose names the resolver thread looks up, and loops freed while a
** lookup is in flight (the resolver outlives its loop). One loop per thread is the contract
** (fws_net.h); nothing else is shared, and TSan checks that holds.
**
** usage: fws_threads_test [rounds]   prints "ok ..." lines, exits 0 when every check held
*/
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/fws_net.h"

#define MSGS 50

static atomic_int port;       /* the server's, once it listens */
static atomic_int server_done;
static int failures;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void check(int ok, const char *what) {
  pthread_mutex_lock(&out_mu);
  printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) failures++;
  pthread_mutex_unlock(&out_mu);
}

/* ---- the server thread: echoes every message ---- */

static void echo(fws_conn *c, const fws_event *ev, void *user) {
  (void)user;
  if (ev->kind == FWS_EV_TEXT || ev->kind == FWS_EV_BINARY) fws_conn_send(c, ev->kind == FWS_EV_BINARY, ev->data, ev->len);
}

static void accept_cb(fws_server *srv, fws_conn *peer, const fws_request *req, fws_accept *out, void *user) {
  (void)srv;
  (void)peer;
  (void)req;
  (void)user;
  out->cb = echo;
}

static void *server_thread(void *arg) {
  char err[256];
  fws_server_opts o;
  fws_loop *loop = fws_loop_new(err, sizeof err);
  fws_server *srv;
  (void)arg;
  if (!loop) {
    check(0, "server loop");
    atomic_store(&port, -1);
    return NULL;
  }
  memset(&o, 0, sizeof o);
  o.host = "127.0.0.1";
  srv = fws_server_listen(loop, &o, accept_cb, NULL, err, sizeof err);
  check(srv != NULL, "server listens");
  atomic_store(&port, srv ? fws_server_port(srv) : -1);
  while (!atomic_load(&server_done)) fws_loop_run(loop, 0.05);
  fws_loop_free(loop);
  return NULL;
}

/* ---- the client thread: by name (the resolver), MSGS messages echoed ---- */

typedef struct client {
  int opens, echoes, closes;
} client;

static void client_cb(fws_conn *c, const fws_event *ev, void *user) {
  client *cl = user;
  if (ev->kind == FWS_EV_OPEN) {
    int i;
    cl->opens++;
    for (i = 0; i < MSGS; i++) fws_conn_send(c, 0, "ping", 4);
  } else if (ev->kind == FWS_EV_TEXT) {
    if (++cl->echoes == MSGS) {
      fws_conn_close(c, 1000, NULL, 0); /* no callback after this: the loop just ends */
      cl->closes++;
    }
  } else if (ev->kind == FWS_EV_ERROR) {
    fprintf(stderr, "client error: %.*s\n", (int)ev->len, ev->data);
  }
}

static void *client_thread(void *arg) {
  int rounds = *(int *)arg, r, p;
  char err[256], url[64];
  while (!(p = atomic_load(&port))) {  /* until the server says */
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (p < 0) return NULL;
  snprintf(url, sizeof url, "ws://localhost:%d/", p);
  for (r = 0; r < rounds; r++) {
    fws_loop *loop = fws_loop_new(err, sizeof err);
    fws_conn_opts o;
    client cl = {0, 0, 0};
    fws_conn *c;
    memset(&o, 0, sizeof o);
    o.url = url;
    c = fws_conn_connect(loop, &o, client_cb, &cl, err, sizeof err);
    if (c) {
      int spins = 0;
      while (spins++ < 400 && !fws_loop_run(loop, 0.05)) {}  /* 1: nothing left, the close done */
    }
    if (!c) fprintf(stderr, "connect: %s\n", err);
    check(cl.opens == 1 && cl.echoes == MSGS && cl.closes == 1, "a client by name: open, every echo, closed and gone");
    /* a lookup in flight when its loop goes: the resolver thread outlives the loop */
    o.url = "ws://localhost:1/";
    fws_conn_connect(loop, &o, client_cb, &cl, err, sizeof err);
    fws_loop_free(loop);
  }
  atomic_store(&server_done, 1);
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5;
  pthread_t s, c;
  if (rounds < 1) rounds = 1;
  pthread_create(&s, NULL, server_thread, NULL);
  pthread_create(&c, NULL, client_thread, &rounds);
  pthread_join(c, NULL);
  pthread_join(s, NULL);
  printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
