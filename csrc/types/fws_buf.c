#include "types/fws_buf.h"

#include <stdlib.h>

void fws_buf_free(fws_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

int fws_buf_grow(fws_buf *b, size_t n) {
  if (b->failed) return -1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n) {
    if (cap > ((size_t)-1) / 2) {
      b->failed = 1;
      return -1;
    }
    cap *= 2;
  }
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = 1;
    return -1;
  }
  b->data = d;
  b->cap = cap;
  return 0;
}
