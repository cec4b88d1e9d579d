/*
** host.c: a C program that embeds Lua the way a game engine or a tool does, with two Lua states in
** two threads. Each thread runs its own frame loop at 60 frames a second; each Lua state has its
** own fernws loop (fernws keeps one per Lua state), serving the chat channel and connecting a client
** to itself (frame.lua). Every frame the host calls the state's frame(): a few typed messages go
** out and fernws.poll(2) does the network's work. The host times each whole frame call and prints
** the mean, the 99th percentile and the worst: fernws.poll never blocks a frame. A benchmark, not a
** test: the figures depend on the machine.
**
**   fws_host [seconds [threads [messages]]]   (default 3 s, 2 threads, 5 messages a frame;
**                                             LUA_CPATH must find fernws.so)
**
** Exit status 0 when every state got a typed reply for every message it sent and ended with
** nothing left open.
*/
#define _POSIX_C_SOURCE 200809L
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef FWS_HOST_DIR
#define FWS_HOST_DIR "examples/host"
#endif

#define FPS 60
#define MAX_THREADS 8
#define DRAIN_FRAMES 600  /* frames given to the close handshakes at the end (10 s) */

typedef struct host {
  int id, per_frame;
  double seconds;
  double *frames;   /* each frame call, in seconds */
  size_t nframes, cap;
  lua_Integer sent, received, active;
  char err[512];
} host;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
  struct timespec ts;
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) { /* EINTR: again */ }
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

/* Calls host[name](args...) with nres results; 0, or -1 with h->err. */
static int call(host *h, lua_State *L, const char *name, int nargs, int nres) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_getfield(L, 1, name);
  lua_rotate(L, base + 1, 2);  /* traceback, function, then the arguments */
  if (lua_pcall(L, nargs, nres, base + 1) != LUA_OK) {
    snprintf(h->err, sizeof h->err, "%s: %s", name, lua_tostring(L, -1));
    lua_settop(L, base);
    return -1;
  }
  lua_remove(L, base + 1);
  return 0;
}

static void record(host *h, double dt) {
  if (h->nframes == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 1024;
    double *f = realloc(h->frames, cap * sizeof *f);
    if (!f) return;
    h->frames = f;
    h->cap = cap;
  }
  h->frames[h->nframes++] = dt;
}

static void *run(void *arg) {
  host *h = arg;
  lua_State *L = luaL_newstate();
  double start, next;
  lua_Integer n = 0;
  int i;
  if (!L) {
    snprintf(h->err, sizeof h->err, "cannot make a Lua state");
    return NULL;
  }
  luaL_openlibs(L);
  lua_pushcfunction(L, traceback);
  if (luaL_loadfile(L, FWS_HOST_DIR "/frame.lua") != LUA_OK) {
    snprintf(h->err, sizeof h->err, "%s", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  lua_pushstring(L, FWS_HOST_DIR);
  lua_pushfstring(L, "host%d", h->id);
  lua_pushinteger(L, h->per_frame);
  if (lua_pcall(L, 3, 1, 1) != LUA_OK) {
    snprintf(h->err, sizeof h->err, "frame.lua: %s", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  lua_remove(L, 1);  /* the host table is at 1 */
  /* the frame loop: each frame's call is timed, then the rest of the frame is the host's */
  start = next = now_s();
  while (now_s() - start < h->seconds) {
    double t0 = now_s();
    lua_pushinteger(L, ++n);
    if (call(h, L, "frame", 1, 0)) break;
    record(h, now_s() - t0);
    next += 1.0 / FPS;
    if (next < now_s()) next = now_s();  /* a late frame: no burst to catch up */
    sleep_until(next);
  }
  /* close, then frames until the close handshakes are done */
  if (!h->err[0] && !call(h, L, "finish", 0, 3)) {
    h->sent = lua_tointeger(L, -3);
    h->received = lua_tointeger(L, -2);
    h->active = lua_tointeger(L, -1);
    lua_pop(L, 3);
    for (i = 0; i < DRAIN_FRAMES && h->active > 0; i++) {
      next += 1.0 / FPS;
      sleep_until(next);
      if (call(h, L, "drain", 0, 1)) break;
      h->active = lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_close(L);
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  host h[MAX_THREADS];
  pthread_t th[MAX_THREADS];
  double seconds = argc > 1 ? atof(argv[1]) : 3;
  int nthreads = argc > 2 ? atoi(argv[2]) : 2, per = argc > 3 ? atoi(argv[3]) : 5, i, ok = 1;
  if (nthreads < 1 || nthreads > MAX_THREADS || seconds <= 0 || per < 0) {
    fprintf(stderr, "usage: %s [seconds [threads (1-%d) [messages a frame]]]\n", argv[0], MAX_THREADS);
    return 2;
  }
  memset(h, 0, sizeof h);
  for (i = 0; i < nthreads; i++) {
    h[i].id = i + 1;
    h[i].seconds = seconds;
    h[i].per_frame = per;
    if (pthread_create(&th[i], NULL, run, &h[i])) {
      fprintf(stderr, "cannot start thread %d\n", i + 1);
      return 1;
    }
  }
  for (i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
  for (i = 0; i < nthreads; i++) {
    double sum = 0, p99, worst;
    size_t k, over = 0;
    if (h[i].err[0]) {
      printf("host%d: error: %s\n", h[i].id, h[i].err);
      ok = 0;
    }
    if (!h[i].nframes) {
      ok = 0;
      continue;
    }
    qsort(h[i].frames, h[i].nframes, sizeof *h[i].frames, cmp);
    for (k = 0; k < h[i].nframes; k++) {
      sum += h[i].frames[k];
      over += h[i].frames[k] > 1.0 / FPS;
    }
    p99 = h[i].frames[(h[i].nframes * 99) / 100];
    worst = h[i].frames[h[i].nframes - 1];
    printf("host%d: %zu frames, %lld messages sent, %lld typed replies, %lld left open\n", h[i].id,
           h[i].nframes, (long long)h[i].sent, (long long)h[i].received, (long long)h[i].active);
    printf("host%d: frame call (%d publishes + fernws.poll(2)): mean %.3f ms, p99 %.3f ms, worst %.3f ms, "
           "%zu over the %.1f ms frame\n",
           h[i].id, per, sum / (double)h[i].nframes * 1e3, p99 * 1e3, worst * 1e3, over, 1e3 / FPS);
    ok &= h[i].received > 0 && h[i].received == h[i].sent && h[i].active == 0;
    free(h[i].frames);
  }
  return ok ? 0 : 1;
}
