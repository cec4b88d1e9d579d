/* The per-Lua-state side of the loop: one fws_loop, the thread callbacks run on, coroutines
** driven by the loop, and the protected call every Lua callback goes through. */
#ifndef FWS_LSTATE_H
#define FWS_LSTATE_H

#include "lua/fws_lua.h"
#include "net/fws_net.h"

#define FWS_STATE_KEY "fernws.state"
#define FWS_CONN_MT "fernws.conn"
#define FWS_SERVER_MT "fernws.server"
/* Registry table of the tasks (fernws.spawn): thread -> thread, a sleeper's timer -> thread */

typedef struct fws_lstate {
  fws_loop *loop;       /* created on first use; NULL after the state is collected */
  lua_State *L;         /* the thread running poll/run: callbacks run on it */
  int busy;             /* inside poll/run */
  int refs;             /* registry ref of a table: live handles and waiting coroutines */
  lua_Integer errors;   /* errors that reached fernws.on_error so far (run returns its share) */
  int waiting;          /* set by fws_lstate_wait: the task that just yielded waits for fernws */
  char err[256];
} fws_lstate;

/* The state (creating the loop on first use); raises when the loop cannot be made. */
fws_lstate *fws_lstate_get(lua_State *L);
/* The state without creating the loop (NULL loop when not made yet). */
fws_lstate *fws_lstate_peek(lua_State *L);

/* Keeps the value at idx alive (a live connection, a waiting coroutine) until fws_lstate_unpin. */
void fws_lstate_pin(lua_State *L, fws_lstate *s, int idx);
void fws_lstate_unpin(lua_State *L, fws_lstate *s, const void *p);

/* The one way in from C code the loop runs (events, timers, the server's accept callback, which
** runs inside lws_service): fn runs on s->L under lua_pcall with ud as its only argument (a light
** userdata), so no Lua error (a callback's, a memory error, a misuse) unwinds through the net layer
** or libwebsockets. An error is reported (fernws.on_error); the stack of s->L is as it was.
** Returns 0, or -1 when fn failed or could not run (s->L NULL, no stack). */
int fws_lstate_protect(fws_lstate *s, lua_CFunction fn, void *ud);

/* Calls the function below nargs arguments on s->L (which must be the top of the stack there),
** protected: an error goes to fernws.on_error with a traceback and the loop goes on. */
void fws_lstate_call(fws_lstate *s, int nargs);

/* The same, keeping nresults results: 0 with them pushed, or -1 (reported, nothing pushed). */
int fws_lstate_pcall(fws_lstate *s, int nargs, int nresults);

/* The value at the top of L (popped) goes to fernws.on_error and is counted, with obj (a stack
** index, or 0) as its second argument: a callback's error, or an error event nobody handled.
** Never raises: when on_error cannot run, stderr gets the text. */
void fws_lstate_report(fws_lstate *s, lua_State *L, int obj);

/* A task waits (for an event, a timer) where fernws will resume it: return this from the C
** function. A task that yields any other way is reported and abandoned. */
int fws_lstate_wait(lua_State *L, fws_lstate *s);
/* The set of live tasks: thread (as a light userdata) -> the thread; a sleeping task's timer ->
** the thread. */
void fws_lstate_push_tasks(lua_State *L);

/* Is L a coroutine started by fernws.spawn (so it may wait)? */
int fws_lstate_is_task(lua_State *L);
/* Resumes the task co with nargs values pushed on L (the running thread); it leaves the task set
** when it ends (an error goes to on_error). */
void fws_lstate_resume(fws_lstate *s, lua_State *L, lua_State *co, int nargs);
/* An error object {kind, message, ...} with __tostring = message, pushed on L. */
void fws_lstate_push_error(lua_State *L, const char *kind, const char *message);

/* The `queue` option of connect and serve, read the same way: a number of messages (an integer,
** 0 or more), true (FWS_QUEUE_DEFAULT), false (0) or absent (dflt). Raises on anything else. */
#define FWS_QUEUE_DEFAULT 1024
size_t fws_lstate_opt_queue(lua_State *L, int opts, size_t dflt);

void fws_lstate_open(lua_State *L, int module_idx);

#endif
