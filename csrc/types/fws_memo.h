/*
** Union members that failed, remembered for one encode or decode. Trying the members of nested
** undiscriminated unions one by one re-decodes the same inner value once per member tried above
** it: time exponential in the depth (20 levels of a two-member union took minutes). A member that
** failed at a place fails there again, so each (place, type, flag) is tried at most once.
*/
#ifndef FWS_MEMO_H
#define FWS_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "types/fws_tmp.h"

typedef struct fws_memo_entry {
  uintptr_t place;      /* a text offset (decode) or a table's address (encode) */
  const void *type;
  int flag;             /* decode: strict or not */
} fws_memo_entry;

enum { FWS_MEMO_INLINE = 16 };

typedef struct fws_memo {
  fws_memo_entry small[FWS_MEMO_INLINE]; /* the first few, scanned: most calls need no more */
  size_t nsmall;
  fws_memo_entry *slots;  /* then an open-addressing table (type NULL: empty), in tmp */
  size_t mask, n;
  fws_tmp *tmp;           /* the call's temporary memory */
} fws_memo;

static inline void fws_memo_init(fws_memo *m, fws_tmp *tmp) {
  m->nsmall = 0;
  m->slots = NULL;
  m->mask = m->n = 0;
  m->tmp = tmp;
}

int fws_memo_has(const fws_memo *m, uintptr_t place, const void *type, int flag);
/* Raises when out of memory (the table is Lua memory: nothing leaks). */
void fws_memo_add(fws_memo *m, uintptr_t place, const void *type, int flag);
/* At the end of the call: lets the table go. */
static inline void fws_memo_free(fws_memo *m) {
  if (m->slots) fws_tmp_free(m->tmp, m->slots);
  m->slots = NULL;
}

#endif
