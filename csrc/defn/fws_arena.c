#include "defn/fws_arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fws_arena_block {
  fws_arena_block *next;
  size_t size, off;
  max_align_t data[];
};

enum { FWS_ARENA_BLOCK = 64 * 1024 };

void fws_arena_init(fws_arena *a) {
  a->head = NULL;
  a->used = 0;
}

void fws_arena_free(fws_arena *a) {
  fws_arena_block *b = a->head;
  while (b) {
    fws_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->used = 0;
}

static void *arena_alloc(fws_arena *a, size_t size, int zero);

void *fws_arena_alloc(fws_arena *a, size_t size) {
  return arena_alloc(a, size, 1);
}

/* Room the caller fills at once (strings): no zeroing. */
static void *arena_alloc(fws_arena *a, size_t size, int zero) {
  const size_t align = sizeof(max_align_t);
  size = (size + align - 1) & ~(align - 1);
  if (size == 0) size = align;
  fws_arena_block *b = a->head;
  if (!b || b->size - b->off < size) {
    size_t cap = size > FWS_ARENA_BLOCK / 4 ? size : FWS_ARENA_BLOCK;
    fws_arena_block *nb = malloc(sizeof(fws_arena_block) + cap);
    if (!nb) return NULL;
    nb->size = cap;
    nb->off = 0;
    if (b && cap != FWS_ARENA_BLOCK) {
      /* an oversized block goes behind the current one, keeping the current one's free room */
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      a->head = nb;
    }
    b = nb;
  }
  void *p = (char *)b->data + b->off;
  b->off += size;
  a->used += size;
  if (zero) memset(p, 0, size);
  return p;
}

void fws_arena_adopt(fws_arena *a, fws_arena *src) {
  if (!src->head) return;
  fws_arena_block *last = src->head;
  while (last->next) last = last->next;
  if (a->head) {
    /* behind a's head, so a goes on allocating from the free room of its current block */
    last->next = a->head->next;
    a->head->next = src->head;
  } else {
    a->head = src->head;
  }
  a->used += src->used;
  src->head = NULL;
  src->used = 0;
}

char *fws_arena_strndup(fws_arena *a, const char *s, size_t n) {
  char *d = arena_alloc(a, n + 1, 0);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *fws_arena_strdup(fws_arena *a, const char *s) {
  return fws_arena_strndup(a, s, strlen(s));
}

char *fws_arena_printf(fws_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *d = arena_alloc(a, (size_t)n + 1, 0);
  if (!d) return NULL;
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

int fws_vec_push(fws_arena *a, fws_vec *v, void *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 8;
    void **items = fws_arena_alloc(a, cap * sizeof(void *));
    if (!items) return -1;
    if (v->n) memcpy(items, v->items, v->n * sizeof(void *));
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = item;
  return 0;
}
