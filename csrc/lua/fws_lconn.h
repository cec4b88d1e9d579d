/* Connection objects: a client's connection and a server's peer share one handle type. */
#ifndef FWS_LCONN_H
#define FWS_LCONN_H

#include "lua/fws_lstate.h"

typedef struct fws_lconn {
  const void *tag;              /* &fws_key_conn */
  fws_conn *conn;               /* NULL once given back */
  fws_lstate *state;
  fws_lapi *api;                /* kept alive by the channel in the uservalue */
  const fws_channel *ch;
  const fws_cchannel *cc;
  fws_lchannel *chan;           /* the channel object (alive in the uservalue) */
  int peer;                     /* a server's peer: it sends server messages, decodes client ones */
  int closed;                   /* closed by the user, or finally by the network */
  int opened;                   /* has been open once */
  int strict;                   /* unknown properties in received messages are errors */
  int inbox;                    /* keep received messages for receive() */
  int told_full;                /* on_error has heard that the inbox is full */
  lua_State *open_waiter;       /* a task in connect, waiting for open */
  lua_State *recv_waiter;       /* a task in receive */
  char recv_id[128];            /* what it waits for ("*": anything) */
  fws_timer *recv_timer;
  char where[256];              /* scheme://host:port/path, no query: safe to show */
} fws_lconn;

/* channel:connect(opts) */
int fws_lconn_connect(lua_State *L);
/* A timeout option of opts: its seconds, -1 for false (none), 0 when absent (the default). */
double fws_lconn_opt_timeout(lua_State *L, int opts, const char *key);
/* A server's new peer (uservalue gets the channel at ch_idx); the handle is pinned while live. */
fws_lconn *fws_lconn_new_peer(lua_State *L, fws_lstate *s, int ch_idx, fws_conn *conn);
/* The net callback of every connection (user = the fws_lconn). */
void fws_lconn_event(fws_conn *conn, const fws_event *ev, void *user);
/* Pushes the Lua object of a live handle. */
void fws_lconn_push(lua_State *L, fws_lconn *c);
/* Closes in C terms and settles waiters; used by close(), __gc and server close. */
void fws_lconn_shutdown(lua_State *L, fws_lconn *c, int code, const char *reason, size_t rlen);
void fws_lconn_open(lua_State *L);

#endif
