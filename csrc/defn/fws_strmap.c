#include "defn/fws_strmap.h"

#include <stdint.h>
#include <string.h>

static size_t hash(const char *s) {
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)(h ^ (h >> 29));
}

int fws_strmap_init(fws_strmap *m, fws_arena *a, size_t expected) {
  size_t cap = 8;
  while (cap < expected * 2) cap *= 2; /* at most half full: probes stay short */
  m->keys = fws_arena_alloc(a, cap * sizeof *m->keys);
  m->vals = fws_arena_alloc(a, cap * sizeof *m->vals);
  m->mask = cap - 1;
  return m->keys && m->vals ? 0 : -1;
}

void *fws_strmap_get(const fws_strmap *m, const char *key) {
  for (size_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
    if (!m->keys[i]) return NULL;
    if (strcmp(m->keys[i], key) == 0) return m->vals[i];
  }
}

void *fws_strmap_put(fws_strmap *m, const char *key, void *val) {
  for (size_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
    if (!m->keys[i]) {
      m->keys[i] = key;
      m->vals[i] = val;
      return NULL;
    }
    if (strcmp(m->keys[i], key) == 0) return m->vals[i];
  }
}
