/* Diagnostics: errors and warnings, each at file:line:column. Loading goes on after an error so
** that one run reports them all, up to a limit. */
#ifndef FWS_DIAG_H
#define FWS_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "defn/fws_arena.h"

/* A place in a definition file; line and column are 1-based, 0 when unknown. */
typedef struct fws_pos {
  const char *file;
  uint32_t line, col;
} fws_pos;

typedef enum fws_severity { FWS_ERROR, FWS_WARNING } fws_severity;

typedef struct fws_diag {
  fws_severity severity;
  fws_pos pos;
  const char *message;
  size_t seq;           /* order of report: equal places keep it when sorted */
} fws_diag;

typedef struct fws_diags {
  fws_arena *arena;
  fws_diag *items;
  size_t n, cap;
  size_t nerrors, nwarnings;
  size_t max_errors;    /* past it, errors are counted but not kept */
  size_t dropped;       /* errors counted but not kept */
  size_t dropped_warnings;
} fws_diags;

enum { FWS_MAX_ERRORS = 100, FWS_MAX_WARNINGS = 500 };

void fws_diags_init(fws_diags *d, fws_arena *arena);
void fws_diags_free(fws_diags *d);
void fws_diag_add(fws_diags *d, fws_severity sev, fws_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* "file:line:column: message" (warnings get "warning: " before the message). */
char *fws_diag_format(fws_arena *a, const fws_diag *d);
/* Sorts by file, line, column, keeping the order of report at equal places (O(n log n)). */
void fws_diags_sort(fws_diags *d);

#endif
