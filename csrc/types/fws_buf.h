/* A growable byte buffer for JSON output. Growth failure raises through the owner's handler. */
#ifndef FWS_BUF_H
#define FWS_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct fws_buf {
  char *data;
  size_t len, cap;
  int failed;           /* an allocation failed: the content is incomplete */
} fws_buf;

void fws_buf_free(fws_buf *b);
/* Makes room for n more bytes; 0, or -1 (and failed set) when out of memory. */
int fws_buf_grow(fws_buf *b, size_t n);

static inline int fws_buf_reserve(fws_buf *b, size_t n) {
  return b->cap - b->len >= n ? 0 : fws_buf_grow(b, n);
}

static inline void fws_buf_put(fws_buf *b, const char *s, size_t n) {
  if (n == 0 || fws_buf_reserve(b, n)) return; /* an empty buffer has no memory to copy into */
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static inline void fws_buf_putc(fws_buf *b, char c) {
  if (fws_buf_reserve(b, 1)) return;
  b->data[b->len++] = c;
}

#endif
