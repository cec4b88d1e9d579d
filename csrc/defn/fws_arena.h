/* A bump allocator: everything a loaded definition holds lives in one arena and dies with it. */
#ifndef FWS_ARENA_H
#define FWS_ARENA_H

#include <stddef.h>

typedef struct fws_arena_block fws_arena_block;

typedef struct fws_arena {
  fws_arena_block *head;
  size_t used;      /* bytes handed out, for size limits and reports */
} fws_arena;

void fws_arena_init(fws_arena *a);
void fws_arena_free(fws_arena *a);
/* Zeroed, max-aligned memory; NULL only when malloc fails. */
void *fws_arena_alloc(fws_arena *a, size_t size);
char *fws_arena_strndup(fws_arena *a, const char *s, size_t n);
char *fws_arena_strdup(fws_arena *a, const char *s);
char *fws_arena_printf(fws_arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Moves every block of src into a, leaving src empty: memory built aside joins the arena. */
void fws_arena_adopt(fws_arena *a, fws_arena *src);

/* A growable array of pointers whose storage lives in the arena. */
typedef struct fws_vec {
  void **items;
  size_t n, cap;
} fws_vec;

int fws_vec_push(fws_arena *a, fws_vec *v, void *item);

#endif
