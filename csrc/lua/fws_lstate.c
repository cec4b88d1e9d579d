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

/* The error (at the top of L) goes to fernws.on_error, itself protected. */
static void report(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "fernws");
  lua_getfield(L, -1, "on_error");
  lua_remove(L, -2);
  lua_remove(L, -2);
  if (lua_isfunction(L, -1)) {
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 0, 0) == LUA_OK) return;
    /* on_error itself failed: stderr is the last resort */
  }
  fprintf(stderr, "fernws: error in a callback: %s\n", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_pop(L, 1);
}

void fws_lstate_call(fws_lstate *s, int nargs) {
  lua_State *L = s->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  if (lua_pcall(L, nargs, 0, base) != LUA_OK) report(L);
  lua_remove(L, base);
}

int fws_lstate_pcall(fws_lstate *s, int nargs, int nresults) {
  lua_State *L = s->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (rc == LUA_OK) return 0;
  report(L);
  return -1;
}

int fws_lstate_is_task(lua_State *L) {
  if (!lua_isyieldable(L)) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
  int is = lua_rawgetp(L, -1, L) != LUA_TNIL;
  lua_pop(L, 2);
  return is;
}

static void end_task(lua_State *L, lua_State *co) {
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
  lua_pushnil(L);
  lua_rawsetp(L, -2, co);
  lua_pop(L, 1);
}

/* Runs co until it yields or ends; from is the thread doing it. */
static void resume(lua_State *from, lua_State *co, int nargs) {
  int nres;
  int st = lua_resume(co, from, nargs, &nres);
  if (st == LUA_YIELD) {
    lua_pop(co, nres); /* it waits for something: whoever it waits on resumes it */
    return;
  }
  if (st != LUA_OK) {
    if (fws_linterrupt_is(co, -1)) {  /* Ctrl-C that the task did not catch: it ends quietly */
      end_task(from, co);
      return;
    }
    luaL_traceback(from, co, lua_tostring(co, -1), 0);
    end_task(from, co);
    report(from);
    return;
  }
  lua_pop(co, nres);
  end_task(from, co);
}

void fws_lstate_resume(fws_lstate *s, lua_State *co, int nargs) {
  if (lua_status(co) != LUA_YIELD) {  /* it ended meanwhile (an interrupted wait) */
    lua_pop(s->L, nargs);
    return;
  }
  lua_xmove(s->L, co, nargs);
  resume(s->L, co, nargs);
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

/* ---- module functions ---- */

enum { DRIVE_POLL, DRIVE_RUN, DRIVE_STEP };
static const char *const drive_names[] = {"fernws.poll", "fernws.run", "fernws.step"};

/* Runs poll, run or step with callbacks on L; never nested inside a callback. */
static int drive(lua_State *L, int mode, double arg, double budget) {
  fws_lstate *s = fws_lstate_get(L);
  int run = mode == DRIVE_RUN;
  const char *name = drive_names[mode];
  if (s->busy) return luaL_error(L, "%s called from inside a callback", name);
  if (run && fws_lstate_is_task(L)) return luaL_error(L, "fernws.run called from a task: use fernws.sleep");
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
  return r;
}

static int l_poll(lua_State *L) {
  lua_pushinteger(L, drive(L, DRIVE_POLL, luaL_optnumber(L, 1, 2.0), 0));
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
  lua_pushinteger(L, drive(L, DRIVE_STEP, wait, budget));
  return 1;
}

/* true when nothing is left, false when the time is up or fernws.stop(); false, "interrupted"
** after Ctrl-C */
static int l_run(lua_State *L) {
  int r = drive(L, DRIVE_RUN, luaL_optnumber(L, 1, -1.0), 0);
  lua_pushboolean(L, r > 0);
  if (r >= 0) return 1;
  lua_pushliteral(L, FWS_INTERRUPTED);
  return 2;
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
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, co);
  lua_pop(L, 1);
  lua_insert(L, 1); /* the thread below fn and args */
  lua_xmove(L, co, nargs + 1);
  lua_State *prev = s->L;
  if (!s->busy) s->L = L;
  resume(L, co, nargs);
  s->L = prev;
  return 1;
}

static void wake_sleeper(fws_timer *t, void *user) {
  (void)t;
  fws_lstate *s = user;
  lua_State *L = s->L;
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
  /* find the thread through the timer's slot */
  lua_rawgetp(L, -1, t);
  lua_State *co = lua_tothread(L, -1);
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_rawsetp(L, -2, t);
  lua_pop(L, 1);
  if (co) fws_lstate_resume(s, co, 0);
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
  lua_getfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
  lua_pushthread(L);
  lua_rawsetp(L, -2, t);
  lua_pop(L, 1);
  return lua_yield(L, 0);
}

/* fernws.now(): monotonic seconds, for hosts timing their frames and for deadlines */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

static int default_on_error(lua_State *L) {
  const char *msg = luaL_tolstring(L, 1, NULL);
  fprintf(stderr, "fernws: error in a callback: %s\n", msg);
  fflush(stderr);
  return 0;
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
    lua_setfield(L, LUA_REGISTRYINDEX, FWS_TASKS_KEY);
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
