/* fernws.poll / run / step / pollfd / events / timeout / stop / spawn / sleep / on_error, and the
** machinery callbacks run through. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua/fws_linterrupt.h"
#include "lua/fws_lstate.h"

#define FWS_ERROR_MT "fernws.error"
/* The state's metatable: not FWS_STATE_KEY, which names the state itself in the registry */
#define FWS_STATE_MT "fernws.state.mt"

static int state_gc(lua_State *L) {
  fws_lstate *s = luaL_checkudata(L, 1, FWS_STATE_MT);
  if (s->loop) {
    /* every connection and server handle dies with the loop (fws_loop_free frees them) */
    fws_loop_free(s->loop);
    s->loop = NULL;
  }
  return 0;
}

fws_lstate *fws_lstate_peek(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_STATE_KEY);
  fws_lstate *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return s;
}

fws_lstate *fws_lstate_get(lua_State *L) {
  fws_lstate *s = fws_lstate_peek(L);
  if (!s) luaL_error(L, "fernws: module state missing");
  if (!s->loop) {
    char err[256];
    s->loop = fws_loop_new(err, sizeof err);
    if (!s->loop) luaL_error(L, "fernws: cannot start the network loop: %s", err);
  }
  return s;
}

void fws_lstate_pin(lua_State *L, fws_lstate *s, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs);
  lua_pushvalue(L, idx);
  lua_rawsetp(L, -2, lua_topointer(L, idx));
  lua_pop(L, 1);
}

void fws_lstate_unpin(lua_State *L, fws_lstate *s, const void *p) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs);
  lua_pushnil(L);
  lua_rawsetp(L, -2, p);
  lua_pop(L, 1);
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg && !lua_isnoneornil(L, 1)) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
    else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* The default fernws.on_error(err, obj): a callback's or a task's error (text with its traceback),
** or an error event that had no handler (an error object, and the object it happened on). */
static int default_on_error(lua_State *L) {
  const char *msg = luaL_tolstring(L, 1, NULL);
  if (lua_getmetatable(L, 1) && (luaL_getmetatable(L, FWS_ERROR_MT), lua_rawequal(L, -1, -2))) {
    const char *where = lua_isnoneornil(L, 2) ? "fernws" : luaL_tolstring(L, 2, NULL);
    fprintf(stderr, "fernws: error on %s: %s (no 'error' handler)\n", where, msg);
  } else {
    fprintf(stderr, "fernws: error in a callback: %s\n", msg);
  }
  fflush(stderr);
  return 0;
}

/* fernws.on_error(err, obj), or the default when there is none: 1 the error, 2 obj or nil. */
static int report_body(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "fernws") == LUA_TTABLE) lua_getfield(L, -1, "on_error");
  else lua_pushnil(L);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    lua_pushcfunction(L, default_on_error);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  return 0;
}

void fws_lstate_report(fws_lstate *s, lua_State *L, int obj) {
  s->errors++;
  obj = obj ? lua_absindex(L, obj) : 0;
  int err = lua_gettop(L);
  if (!lua_checkstack(L, 4)) {
    fputs("fernws: an error could not be reported (no Lua stack left)\n", stderr);
    lua_settop(L, err - 1);
    return;
  }
  lua_pushcfunction(L, report_body);
  lua_pushvalue(L, err);
  if (obj) lua_pushvalue(L, obj);
  else lua_pushnil(L);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    /* on_error itself failed (or memory ran out): stderr is the last resort; only strings are
    ** shown, converting anything else could raise here */
    fprintf(stderr, "fernws: error in a callback: %s\n",
            lua_type(L, err) == LUA_TSTRING ? lua_tostring(L, err) : "(an error object)");
    fprintf(stderr, "fernws: and fernws.on_error failed: %s\n",
            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(an error object)");
    fflush(stderr);
  }
  lua_settop(L, err - 1);
}

int fws_lstate_protect(fws_lstate *s, lua_CFunction fn, void *ud) {
  lua_State *L = s->L;
  if (!L) return -1;
  if (!lua_checkstack(L, 8)) {
    s->errors++;
    fputs("fernws: an event was lost (no Lua stack left)\n", stderr);
    return -1;
  }
  int top = lua_gettop(L);
  /* none of these allocate: nothing before lua_pcall can raise */
  lua_pushcfunction(L, traceback);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  int rc = lua_pcall(L, 1, 0, top + 1);
  if (rc != LUA_OK) fws_lstate_report(s, L, 0);
  lua_settop(L, top);
  return rc == LUA_OK ? 0 : -1;
}

void fws_lstate_call(fws_lstate *s, int nargs) {
  fws_lstate_pcall(s, nargs, 0);
}

int fws_lstate_pcall(fws_lstate *s, int nargs, int nresults) {
  lua_State *L = s->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (rc == LUA_OK) return 0;
  fws_lstate_report(s, L, 0);
  return -1;
}

/* The set of live tasks (thread -> true; a sleeping task's timer -> the thread), under a light
** userdata key: looking it up allocates nothing, so task bookkeeping cannot raise. */
static const char tasks_key = 0;

static void push_tasks(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tasks_key);
}

void fws_lstate_push_tasks(lua_State *L) { push_tasks(L); }

int fws_lstate_is_task(lua_State *L) {
  if (!lua_isyieldable(L)) return 0;
  push_tasks(L);
  int is = lua_rawgetp(L, -1, L) != LUA_TNIL;
  lua_pop(L, 2);
  return is;
}

static void end_task(lua_State *L, lua_State *co) {
  push_tasks(L);
  lua_pushnil(L);
  lua_rawsetp(L, -2, co); /* an existing key: no allocation */
  lua_pop(L, 1);
}

/* The text of a task's error with the task's traceback: 1 the thread (light userdata), 2 the
** error value. */
static int task_traceback(lua_State *L) {
  lua_State *co = lua_touserdata(L, 1);
  const char *msg = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (!msg) {
    if (luaL_callmeta(L, 2, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
    else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 2));
  }
  luaL_traceback(L, co, msg, 0);
  return 1;
}

int fws_lstate_wait(lua_State *L, fws_lstate *s) {
  s->waiting = 1;
  return lua_yield(L, 0);
}

/* Runs co until it yields or ends; from is the thread doing it. Raises nothing: a task's error
** goes to on_error. */
static void resume(fws_lstate *s, lua_State *from, lua_State *co, int nargs) {
  int nres;
  s->waiting = 0;
  int st = lua_resume(co, from, nargs, &nres);
  int waits = s->waiting;
  s->waiting = 0;
  if (st == LUA_YIELD) {
    lua_pop(co, nres); /* it waits for something: whoever it waits on resumes it */
    if (waits) return;
    /* a yield of its own (coroutine.yield): nothing would ever resume it */
    end_task(from, co);
    if (lua_checkstack(from, 2)) {
      lua_pushliteral(from, "a task yielded by itself (coroutine.yield): a task waits only in fernws "
                            "(connect, receive, sleep); it is abandoned");
      fws_lstate_report(s, from, 0);
    }
    return;
  }
  if (st == LUA_OK) {
    lua_pop(co, nres);
    end_task(from, co);
    return;
  }
  end_task(from, co);
  if (fws_linterrupt_is(co, -1)) return;  /* Ctrl-C that the task did not catch: it ends quietly */
  if (!lua_checkstack(from, 4)) {
    s->errors++;
    fputs("fernws: a task failed (no Lua stack left to report it)\n", stderr);
    return;
  }
  lua_pushcfunction(from, task_traceback);
  lua_pushlightuserdata(from, co);
  lua_xmove(co, from, 1); /* the error value, at the top of the dead coroutine */
  lua_pcall(from, 2, 1, 0); /* failing (no memory for the traceback), its own error is reported */
  fws_lstate_report(s, from, 0);
}

void fws_lstate_resume(fws_lstate *s, lua_State *L, lua_State *co, int nargs) {
  if (lua_status(co) != LUA_YIELD) {  /* it ended meanwhile (an interrupted wait) */
    lua_pop(L, nargs);
    return;
  }
  if (!lua_checkstack(co, nargs + LUA_MINSTACK)) {
    lua_pop(L, nargs);
    return; /* cannot happen short of memory: the task stays where it is */
  }
  lua_xmove(L, co, nargs);
  resume(s, L, co, nargs);
}

static int error_tostring(lua_State *L) {
  lua_getfield(L, 1, "message");
  return 1;
}

void fws_lstate_push_error(lua_State *L, const char *kind, const char *message) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
  luaL_setmetatable(L, FWS_ERROR_MT);
}

size_t fws_lstate_opt_queue(lua_State *L, int opts, size_t dflt) {
  size_t n = dflt;
  int t = lua_getfield(L, opts, "queue");
  if (t == LUA_TBOOLEAN) {
    n = lua_toboolean(L, -1) ? FWS_QUEUE_DEFAULT : 0;
  } else if (t != LUA_TNIL) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (t != LUA_TNUMBER || !isint || v < 0)
      luaL_error(L, "queue must be a number of messages (an integer, 0 or more) or a boolean, got %s",
                 t == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    n = (size_t)v;
  }
  lua_pop(L, 1);
  return n;
}

/* ---- module functions ---- */

enum { DRIVE_POLL, DRIVE_RUN, DRIVE_STEP };
static const char *const drive_names[] = {"fernws.poll", "fernws.run", "fernws.step"};

/* Runs poll, run or step with callbacks on L; never nested inside a callback. Everything the
** loop calls enters Lua through fws_lstate_protect, so nothing raises between setting busy and
** restoring it. *errors: how many errors reached on_error meanwhile. */
static int drive(lua_State *L, int mode, double arg, double budget, lua_Integer *errors) {
  fws_lstate *s = fws_lstate_get(L);
  int run = mode == DRIVE_RUN;
  const char *name = drive_names[mode];
  if (s->busy) return luaL_error(L, "%s called from inside a callback", name);
  if (run && fws_lstate_is_task(L)) return luaL_error(L, "fernws.run called from a task: use fernws.sleep");
  lua_Integer e0 = s->errors;
  s->busy = 1;
  lua_State *prev = s->L;
  s->L = L;
  if (run) fws_sigint_catch(s->loop);
  int r = run ? fws_loop_run(s->loop, arg)
              : mode == DRIVE_STEP ? fws_loop_step(s->loop, arg, budget) : fws_loop_poll(s->loop, arg);
  if (run) fws_sigint_release();
  if (run && fws_sigint_take()) {
    fws_linterrupt_tasks(s);
    r = -1;
  }
  s->L = prev;
  s->busy = 0;
  *errors = s->errors - e0;
  return r;
}

static int l_poll(lua_State *L) {
  lua_Integer errors = 0;
  lua_pushinteger(L, drive(L, DRIVE_POLL, luaL_optnumber(L, 1, 2.0), 0, &errors));
  return 1;
}

/* ---- the cqueues polling protocol, for hosts that own the loop (luv, cqueues, epoll) ---- */

/* Each may be called as fernws.f(...) or as a method, fernws:f(...) (cqueues.poll(fernws) does). */
static int first_arg(lua_State *L) { return lua_istable(L, 1) ? 2 : 1; }

static int l_pollfd(lua_State *L) {
  int fd = fws_loop_pollfd(fws_lstate_get(L)->loop);
  if (fd < 0) return luaL_fileresult(L, 0, "fernws.pollfd");
  lua_pushinteger(L, fd);
  return 1;
}

static int l_events(lua_State *L) {
  lua_pushliteral(L, "r");
  return 1;
}

static int l_timeout(lua_State *L) {
  double t = fws_loop_timeout(fws_lstate_get(L)->loop);
  if (t < 0) lua_pushnil(L);
  else lua_pushnumber(L, t);
  return 1;
}

/* fernws.step([timeout [, ms]]): waits up to timeout seconds (default 0) for work, then does
** what is ready within about ms (default 2) and returns the number of callbacks run. */
static int l_step(lua_State *L) {
  int a = first_arg(L);
  double wait = luaL_optnumber(L, a, 0.0), budget = luaL_optnumber(L, a + 1, 2.0);
  lua_Integer errors = 0;
  lua_pushinteger(L, drive(L, DRIVE_STEP, wait, budget, &errors));
  return 1;
}

/* fernws.run([seconds]): the number of errors that reached on_error meanwhile, and whether it
** ended because nothing was left; after Ctrl-C a third value, "interrupted". */
static int l_run(lua_State *L) {
  lua_Integer errors = 0;
  int r = drive(L, DRIVE_RUN, luaL_optnumber(L, 1, -1.0), 0, &errors);
  lua_pushinteger(L, errors);
  lua_pushboolean(L, r > 0);
  if (r >= 0) return 2;
  lua_pushliteral(L, FWS_INTERRUPTED);
  return 3;
}

static int l_stop(lua_State *L) {
  fws_lstate *s = fws_lstate_peek(L);
  if (s && s->loop) fws_loop_stop(s->loop);
  return 0;
}

static int l_active(lua_State *L) {
  fws_lstate *s = fws_lstate_peek(L);
  lua_pushinteger(L, s && s->loop ? (lua_Integer)fws_loop_active(s->loop) : 0);
  return 1;
}

/* fernws.spawn(fn, ...): runs fn as a task until it first waits; returns the coroutine. */
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  fws_lstate *s = fws_lstate_get(L);
  int nargs = lua_gettop(L) - 1;
  lua_State *co = lua_newthread(L);
  push_tasks(L);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, co);
  lua_pop(L, 1);
  lua_insert(L, 1); /* the thread below fn and args */
  luaL_checkstack(co, nargs + LUA_MINSTACK, "fernws.spawn");
  lua_xmove(L, co, nargs + 1);
  resume(s, L, co, nargs);
  return 1;
}

typedef struct sleeper {
  fws_lstate *s;
  fws_timer *t;
} sleeper;

static int wake_sleeper_body(lua_State *L) {
  sleeper *w = lua_touserdata(L, 1);
  push_tasks(L);
  /* find the thread through the timer's slot */
  lua_rawgetp(L, -1, w->t);
  lua_State *co = lua_tothread(L, -1);
  lua_pushnil(L);
  lua_rawsetp(L, -3, w->t);
  if (co) fws_lstate_resume(w->s, L, co, 0);
  return 0;
}

static void wake_sleeper(fws_timer *t, void *user) {
  sleeper w = {user, t};
  fws_lstate_protect(w.s, wake_sleeper_body, &w);
}

/* fernws.sleep(seconds): a task waits; outside a task the loop runs for that long. */
static int l_sleep(lua_State *L) {
  double secs = luaL_checknumber(L, 1);
  fws_lstate *s = fws_lstate_get(L);
  if (!fws_lstate_is_task(L)) {
    if (s->busy) return luaL_error(L, "fernws.sleep outside a task, from inside a callback");
    lua_settop(L, 0);
    lua_pushnumber(L, secs);
    return l_run(L);
  }
  fws_timer *t = fws_timer_start(s->loop, secs < 0 ? 0 : secs, wake_sleeper, s);
  if (!t) return luaL_error(L, "fernws.sleep: cannot start a timer");
  push_tasks(L);
  lua_pushthread(L);
  lua_rawsetp(L, -2, t); /* may raise (memory): then no one waits on the timer */
  lua_pop(L, 1);
  return fws_lstate_wait(L, s);
}

/* fernws.now(): monotonic seconds, for hosts timing their frames and for deadlines */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}


void fws_lstate_open(lua_State *L, int module_idx) {
  module_idx = lua_absindex(L, module_idx);
  /* One state per Lua state. The module may be opened again (package.loaded.fernws = nil, as
  ** busted does between spec files): the new module table shares the loop, its connections and
  ** tasks. A second state would orphan the first, whose __gc frees the loop under connection
  ** objects that still point at it. */
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_STATE_KEY);
  int have = luaL_testudata(L, -1, FWS_STATE_MT) != NULL;
  lua_pop(L, 1);
  if (!have) {
    fws_lstate *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    if (luaL_newmetatable(L, FWS_STATE_MT)) {
      lua_pushcfunction(L, state_gc);
      lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_newtable(L);
    s->refs = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_setfield(L, LUA_REGISTRYINDEX, FWS_STATE_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &tasks_key);
  }
  if (luaL_newmetatable(L, FWS_ERROR_MT)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {{"poll", l_poll}, {"run", l_run}, {"stop", l_stop}, {"spawn", l_spawn},
                                   {"sleep", l_sleep}, {"active", l_active}, {"now", l_now},
                                   {"pollfd", l_pollfd}, {"events", l_events}, {"timeout", l_timeout},
                                   {"step", l_step}, {NULL, NULL}};
  lua_pushvalue(L, module_idx);
  luaL_setfuncs(L, funcs, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, default_on_error);
  lua_setfield(L, module_idx, "on_error");
}
