/* Validation errors: where (a path like tools[2].name), what was expected, what was found. */
#ifndef FWS_VERR_H
#define FWS_VERR_H

#include <stddef.h>
#include <stdint.h>

enum { FWS_MAX_DEPTH = 200, FWS_MAX_ERRORS_KEPT = 100 };

typedef struct fws_pathseg {
  const char *key;      /* NULL: an index */
  size_t len;
  int64_t index;        /* 1-based, as Lua counts */
} fws_pathseg;

typedef struct fws_path {
  fws_pathseg segs[FWS_MAX_DEPTH + 2];
  int n;
} fws_path;

typedef struct fws_verr {
  char *path;           /* "" for the value itself */
  const char *expected; /* static or schema-owned */
  char *got;
  char *message;        /* "path: what went wrong" */
} fws_verr;

typedef struct fws_verrs {
  fws_verr *items;
  size_t n, cap;
  size_t total;         /* including those past the limit */
  int oom;
  int muted;            /* > 0 while union members are tried: failures are counted, not written */
} fws_verrs;

static inline void fws_path_key(fws_path *p, const char *key, size_t len) {
  p->segs[p->n].key = key;
  p->segs[p->n].len = len;
  p->n++;
}

static inline void fws_path_index(fws_path *p, int64_t index) {
  p->segs[p->n].key = NULL;
  p->segs[p->n].index = index;
  p->n++;
}

/* A step with no text: a table key that is neither a string nor an integer (1.5, true) has no path
** form, so its error is told at the table's own path. */
static inline void fws_path_none(fws_path *p) {
  p->segs[p->n].key = NULL;
  p->segs[p->n].index = INT64_MIN;
  p->n++;
}

/* s (n bytes) made fit for an error message: at most max bytes of it, cut at a character boundary,
** control bytes and bytes that are not UTF-8 written \xNN, "..." when cut. size >= 4 * max + 8. */
const char *fws_excerpt(char *buf, size_t size, const char *s, size_t n, size_t max);

/* A list for an error message ("'red', 'green', ..."): items cut to fit, ", ..." once full. */
typedef struct fws_textlist {
  char text[320];
  size_t len;
  unsigned n;
  int full;
} fws_textlist;

static inline void fws_textlist_init(fws_textlist *l) {
  l->text[0] = '\0';
  l->len = 0;
  l->n = 0;
  l->full = 0;
}

/* Appends item, in single quotes when quote. */
void fws_textlist_add(fws_textlist *l, const char *item, int quote);

/* The path as text into buf ("" at the root). */
size_t fws_path_format(const fws_path *p, char *buf, size_t size);
void fws_verrs_add(fws_verrs *e, const fws_path *p, const char *expected, const char *got, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* Drops errors past mark (a union member that did not match). */
void fws_verrs_truncate(fws_verrs *e, size_t mark);
void fws_verrs_free(fws_verrs *e);

#endif
