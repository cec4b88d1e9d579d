/* Property names as Lua strings the codec keeps alive, so that the encoder knows a key by its
** address and the decoder pushes a name without hashing and interning it again. */
#include <lauxlib.h>

#include "types/fws_codec.h"

void fws_codec_learn_key(lua_State *L, int anchor, int idx, fws_cprop *p) {
  idx = lua_absindex(L, idx);
  anchor = lua_absindex(L, anchor);
  if (p->lref) return;
  int ref = (int)lua_rawlen(L, anchor) + 1;
  lua_pushvalue(L, idx);
  lua_rawseti(L, anchor, ref);
  /* only now, so a failed set (out of memory raises) leaves nothing half-noted */
  p->lref = ref;
  p->lkey = lua_topointer(L, idx);
}
