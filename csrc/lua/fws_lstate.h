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
#define FWS_TASKS_KEY "fernws.tasks"

typedef struct fws_lstate {
  fws_loop *loop;       /* created on first use; NULL after the state is collected */
  lua_State *L;         /* the thread running poll/run: callbacks run on it */
  int busy;             /* inside poll/run */
  int refs;             /* registry ref of a table: live handles and waiting coroutines */
  char err[256];
} fws_lstate;

/* The state (creating the loop on first use); raises when the loop cannot be made. */
fws_lstate *fws_lstate_get(lua_State *L);
/* The state without creating the loop (NULL loop when not made yet). */
fws_lstate *fws_lstate_peek(lua_State *L);

/* Keeps the value at idx alive (a live connection, a waiting coroutine) until fws_lstate_unpin. */
void fws_lstate_pin(lua_State *L, fws_lstate *s, int idx);
void fws_lstate_unpin(lua_State *L, fws_lstate *s, const void *p);

/* Calls the function below nargs arguments on s->L (which must be the top of the stack there),
** protected: an error goes to fernws.on_error with a traceback and the loop goes on. */
void fws_lstate_call(fws_lstate *s, int nargs);

/* The same, keeping nresults results: 0 with them pushed, or -1 (reported, nothing pushed). */
int fws_lstate_pcall(fws_lstate *s, int nargs, int nresults);

/* Is L a coroutine started by fernws.spawn (so it may wait)? */
int fws_lstate_is_task(lua_State *L);
/* Resumes the task co (pinned) with nargs values pushed on s->L; unpins it when it ends. */
void fws_lstate_resume(fws_lstate *s, lua_State *co, int nargs);
/* An error object {kind, message, ...} with __tostring = message, pushed on L. */
void fws_lstate_push_error(lua_State *L, const char *kind, const char *message);

void fws_lstate_open(lua_State *L, int module_idx);

#endif
