/* The handshake of channel:connect, from the definition and the options. */
#ifndef FWS_LHANDSHAKE_H
#define FWS_LHANDSHAKE_H

#include "lua/fws_lua.h"
#include "net/fws_net.h"

/* Pushes {url = "ws://...", headers = {{name, value}, ...}, subprotocol = "..." or nil} for the
** connect options at opts (path, query, extra_query, headers, auth, url, environment, subprotocol),
** every value checked against the definition. Raises on misuse; no credential in any message. */
void fws_lhandshake_build(lua_State *L, fws_lchannel *c, int opts);

/* The server's side of the same: the headers of every auth scheme of the api, as sent, into the
** table at headers (lower-case names, those already there kept). */
void fws_lhandshake_scheme_headers(lua_State *L, fws_lapi *a, const fws_request *req, int headers);
/* Pushes req.auth: {scheme = name, token = ...} (bearer token, header value without its prefix,
** key carried as a subprotocol) or {scheme, username, password} (basic) for the first of the
** channel's schemes whose credential the request carries; nil when none or auth: false. */
void fws_lhandshake_auth(lua_State *L, fws_lapi *a, const fws_channel *ch, const fws_request *req);

#endif
