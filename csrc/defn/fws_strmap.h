/* A string -> pointer table of fixed capacity in the arena: look-ups that keep loading linear on
** hostile input (thousands of types, properties or enum values). */
#ifndef FWS_STRMAP_H
#define FWS_STRMAP_H

#include <stddef.h>

#include "defn/fws_arena.h"

typedef struct fws_strmap {
  const char **keys;
  void **vals;
  size_t mask;
} fws_strmap;

/* Room for `expected` keys. Returns -1 when out of memory. */
int fws_strmap_init(fws_strmap *m, fws_arena *a, size_t expected);
void *fws_strmap_get(const fws_strmap *m, const char *key);
/* Adds key -> val unless key is there; returns the value already there, else NULL. Keys are not
** copied. At most `expected` keys may be added. */
void *fws_strmap_put(fws_strmap *m, const char *key, void *val);

#endif
