/* Temporary memory of one encode or decode (a big object's "seen" marks, a big union's member
** list, the memo table). Lua may raise a memory error anywhere in the codec; malloc'd memory
** would then leak. So these blocks are full userdata, collected by Lua, kept alive meanwhile in a
** table of the codec context (made on first need; the common small messages never need one, and
** pay nothing). A block a memory error abandoned stays in that table until the context goes. */
#ifndef FWS_TMP_H
#define FWS_TMP_H

#include <stddef.h>

#include <lua.h>

struct fws_codec_ctx;

typedef struct fws_tmp {
  lua_State *L;
  struct fws_codec_ctx *ctx;
} fws_tmp;

/* size zeroed bytes that live until fws_tmp_free; raises when out of memory (and then nothing is
** left behind). */
void *fws_tmp_alloc(fws_tmp *t, size_t size);
/* Lets the block go (raises nothing). */
void fws_tmp_free(fws_tmp *t, void *p);

#endif
