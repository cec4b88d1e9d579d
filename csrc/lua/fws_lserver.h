/* Server objects: channel:serve and what its peers share with it. */
#ifndef FWS_LSERVER_H
#define FWS_LSERVER_H

#include "lua/fws_lstate.h"

typedef struct fws_lserver {
  const void *tag;      /* &fws_key_server */
  fws_server *srv;
  fws_lstate *state;
  fws_lapi *api;
  const fws_channel *ch;
  const fws_cchannel *cc;
  fws_lchannel *chan;   /* the channel object (alive in the uservalue) */
  int closed;
  int strict;
  int tls;
  int answer_first;     /* answer the first subprotocol a client offers (APIs carry keys there) */
  char base[256];       /* a path prefix before the channel's path ("/v1"); srv.url ends with it */
  char more_bases[4][128]; /* other prefixes the channel is served under too (the mock: each
                           ** environment's base path and the bare path) */
  int nmore;
  char host[128];
  char why[300];        /* the reason of a refusal, alive until the net layer writes it */
  char answer[64];
} fws_lserver;

int fws_lserver_serve(lua_State *L);
/* which: 0 the handler table (srv:on), 1 the subscriptions (srv:subscribe); pushed. */
void fws_lserver_push_table(lua_State *L, int srv_idx, int which);
/* A peer that closed for good leaves the server's set. */
void fws_lserver_forget_peer(lua_State *L, int srv_idx, int peer_idx);
void fws_lserver_open(lua_State *L);

#endif
