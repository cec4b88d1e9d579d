#include "defn/fws_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fws_diags_init(fws_diags *d, fws_arena *arena) {
  memset(d, 0, sizeof *d);
  d->arena = arena;
  d->max_errors = FWS_MAX_ERRORS;
}

void fws_diags_free(fws_diags *d) {
  free(d->items);
  d->items = NULL;
  d->n = d->cap = 0;
}

void fws_diag_add(fws_diags *d, fws_severity sev, fws_pos pos, const char *fmt, ...) {
  size_t *dropped = sev == FWS_ERROR ? &d->dropped : &d->dropped_warnings;
  if (sev == FWS_ERROR) {
    d->nerrors++;
    if (d->nerrors > d->max_errors) { (*dropped)++; return; }
  } else {
    d->nwarnings++;
    if (d->nwarnings > FWS_MAX_WARNINGS) { (*dropped)++; return; }
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    fws_diag *items = realloc(d->items, cap * sizeof *items);
    if (!items) { (*dropped)++; return; }
    d->items = items;
    d->cap = cap;
  }
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  const char *msg = fws_arena_strdup(d->arena, buf);
  if (!msg) { (*dropped)++; return; }
  fws_diag *x = &d->items[d->n];
  x->severity = sev;
  x->pos = pos;
  x->message = msg;
  x->seq = d->n++;
}

char *fws_diag_format(fws_arena *a, const fws_diag *d) {
  const char *sev = d->severity == FWS_WARNING ? "warning: " : "";
  if (d->pos.line)
    return fws_arena_printf(a, "%s:%u:%u: %s%s", d->pos.file ? d->pos.file : "?",
                            (unsigned)d->pos.line, (unsigned)d->pos.col, sev, d->message);
  return fws_arena_printf(a, "%s: %s%s", d->pos.file ? d->pos.file : "?", sev, d->message);
}

static int diag_cmp(const void *a, const void *b) {
  const fws_diag *x = a, *y = b;
  const char *fx = x->pos.file ? x->pos.file : "", *fy = y->pos.file ? y->pos.file : "";
  int c = strcmp(fx, fy);
  if (c) return c;
  if (x->pos.line != y->pos.line) return x->pos.line < y->pos.line ? -1 : 1;
  if (x->pos.col != y->pos.col) return x->pos.col < y->pos.col ? -1 : 1;
  return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void fws_diags_sort(fws_diags *d) {
  if (d->n > 1) qsort(d->items, d->n, sizeof *d->items, diag_cmp);
}
