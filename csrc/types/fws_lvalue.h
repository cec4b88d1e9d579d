/* Equality of Lua values as JSON sees them (1 == 1.0, tables by content), for sets. */
#ifndef FWS_LVALUE_H
#define FWS_LVALUE_H

#include <lua.h>

/* The 1-based index of the first element of the sequence at idx (length n) that equals an
** earlier one, or 0. Hashing keeps it near O(n) on hostile input. Its work space is Lua memory
** (a memory error raises and leaves nothing behind). */
lua_Integer fws_set_duplicate(lua_State *L, int idx, lua_Integer n);

#endif
