/* Names a caller got wrong: unknown option keys, event names and message ids, each raised with the
** function that was called, the names it takes and, when one is close, the one probably meant. */
#ifndef FWS_LOPTS_H
#define FWS_LOPTS_H

#include <stddef.h>

#include <lua.h>

/* Raises "<fn>: unknown <noun> '<name>' (<plural>: a, b, c; did you mean 'x'?)". */
int fws_lunknown(lua_State *L, const char *fn, const char *noun, const char *plural, const char *name,
                 const char *const *names, size_t n);
/* The closest of names to name (a typo away: at most 2 edits, a swap of two neighbours counting
** one, and at most half its length), or NULL. */
const char *fws_lnames_near(const char *name, const char *const *names, size_t n);
/* Raises when the table at idx has a key that is not one of keys (NULL-terminated), naming fn,
** the key and the keys fn takes. */
void fws_lopts_check(lua_State *L, int idx, const char *fn, const char *const *keys);

/* The options of channel:connect and channel:serve (the tables at idx), nested tls and reconnect
** tables included. */
void fws_lopts_connect(lua_State *L, int idx);
void fws_lopts_serve(lua_State *L, int idx);

#endif
