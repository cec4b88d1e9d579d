/* pairs() over a handle: its public fields and methods, by name, as its __index gives them. */
#ifndef FWS_LPAIRS_H
#define FWS_LPAIRS_H

#include <lua.h>

/* Pushes a __pairs function walking names (NULL-terminated, static): each name whose value (read
** through the handle's own __index) is not nil. */
void fws_lpairs_push(lua_State *L, const char *const *names);

#endif
