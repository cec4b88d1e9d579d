/* Ctrl-C in fernws.run (see fws_linterrupt.c). */
#ifndef FWS_LINTERRUPT_H
#define FWS_LINTERRUPT_H

#include "lua/fws_lstate.h"

/* The error value a waiting task gets when fernws.run is interrupted. */
#define FWS_INTERRUPTED "interrupted"

/* Every task waiting now is resumed so that its wait raises "interrupted". */
void fws_linterrupt_tasks(fws_lstate *s);
/* Is the error at idx the interrupt (a task that did not catch it ends quietly)? */
int fws_linterrupt_is(lua_State *L, int idx);

#endif
