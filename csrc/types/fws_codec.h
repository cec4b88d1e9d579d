/*
** The schema-directed JSON codec: Lua value -> JSON text (validated on the way) and JSON text ->
** Lua value (validated while it parses). No user code runs inside either: tables are read and
** written raw, so the only Lua error possible is a memory error.
*/
#ifndef FWS_CODEC_H
#define FWS_CODEC_H

#include <lua.h>

#include "types/fws_buf.h"
#include "types/fws_schema.h"
#include "types/fws_verr.h"

/* A reused scratch space: one per Lua state (kept in the module's upvalue). */
typedef struct fws_codec_ctx {
  fws_buf out;          /* encoder output */
  fws_buf scratch;      /* unescaped strings, set duplicate checks */
  void *match_data;     /* pcre2 match data for patterns */
  int array_mt_ref;     /* registry ref of fernws.array_mt: tables that are arrays even when empty */
  int anchor_ref;       /* registry ref of a table keeping property-name strings alive (0: none) */
  int tmp_ref;          /* registry ref of the table anchoring temporary blocks (types/fws_tmp.h),
                        ** made on first need (0: none yet) */
} fws_codec_ctx;

enum { FWS_CHECK_ALL = 1 };

/* Encodes the value at idx as t into ctx->out (appending). flags: FWS_CHECK_ALL keeps going after
** an error so errs lists every failing field. Returns 0, or -1 with errs filled. */
int fws_encode(lua_State *L, fws_codec_ctx *ctx, int idx, const fws_ct *t, int flags, fws_verrs *errs);

typedef struct fws_decode_opts {
  int strict;           /* unknown object properties are errors */
  size_t max_depth;     /* 0: FWS_MAX_DEPTH */
  int anchor;           /* stack index of the table of ctx->anchor_ref, pushed by the caller (0: none):
                        ** property names then come from it, not hashed and interned again */
} fws_decode_opts;

typedef struct fws_decoded {
  const char *variant;  /* the innermost union member chosen for the value itself (a union of unions
                        ** names the member of the inner one), or the type's name */
  int tag;              /* dispatch: the choice's tag */
} fws_decoded;

/* Decodes text as t and pushes the value (returns 0), or pushes nothing and fills errs (-1). */
int fws_decode(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, const fws_ct *t,
               const fws_decode_opts *opts, fws_verrs *errs, fws_decoded *out);
/* Decodes text as one of the dispatch's choices (a channel's messages). */
int fws_decode_dispatch(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, const fws_dispatch *d,
                        const fws_decode_opts *opts, fws_verrs *errs, fws_decoded *out);
/* Keeps the string at idx (a property name) in the anchor table at anchor, and notes where in p. */
void fws_codec_learn_key(lua_State *L, int anchor, int idx, fws_cprop *p);
/* Any JSON (the `unknown` type): integers stay integers, null is fernws.null. */
int fws_decode_any(lua_State *L, fws_codec_ctx *ctx, const char *text, size_t len, fws_verrs *errs);

/* "integer", "float", "string", "table", "null", ... of the Lua value at idx. */
const char *fws_lua_got(lua_State *L, int idx);

#endif
