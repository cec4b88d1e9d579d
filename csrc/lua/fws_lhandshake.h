/* The handshake of channel:connect, from the definition and the options. */
#ifndef FWS_LHANDSHAKE_H
#define FWS_LHANDSHAKE_H

#include "lua/fws_lua.h"

/* Pushes {url = "ws://...", headers = {{name, value}, ...}, subprotocol = "..." or nil} for the
** connect options at opts (path, query, extra_query, headers, auth, url, environment, subprotocol),
** every value checked against the definition. Raises on misuse; no credential in any message. */
void fws_lhandshake_build(lua_State *L, fws_lchannel *c, int opts);

#endif
