#include "types/fws_verr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ident(const char *s, size_t n) {
  if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return 0;
  return 1;
}

size_t fws_path_format(const fws_path *p, char *buf, size_t size) {
  size_t at = 0;
  buf[0] = '\0';
#define OUT(...) (at += (size_t)snprintf(buf + (at < size ? at : size - 1), at < size ? size - at : 1, __VA_ARGS__))
  for (int i = 0; i < p->n; i++) {
    const fws_pathseg *s = &p->segs[i];
    size_t len = s->len > 80 ? 80 : s->len;
    if (!s->key) OUT("[%lld]", (long long)s->index);
    else if (is_ident(s->key, s->len)) OUT("%s%.*s", i ? "." : "", (int)len, s->key);
    else {
      OUT("[\"");
      for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s->key[k];
        if (c == '"' || c == '\\') OUT("\\%c", c);
        else if (c < 0x20) OUT("\\x%02x", c);
        else OUT("%c", c);
      }
      OUT("\"]");
    }
  }
#undef OUT
  return at < size ? at : size - 1;
}

static char *dup(const char *s) {
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

void fws_verrs_add(fws_verrs *e, const fws_path *p, const char *expected, const char *got, const char *fmt, ...) {
  e->total++;
  if (e->n >= FWS_MAX_ERRORS_KEPT) return;
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 8;
    fws_verr *items = realloc(e->items, cap * sizeof *items);
    if (!items) {
      e->oom = 1;
      return;
    }
    e->items = items;
    e->cap = cap;
  }
  char path[512], detail[512], msg[1100];
  fws_path_format(p, path, sizeof path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  if (path[0]) snprintf(msg, sizeof msg, "%s: %s", path, detail);
  else snprintf(msg, sizeof msg, "%s", detail);
  fws_verr *v = &e->items[e->n];
  v->path = dup(path);
  v->expected = expected;
  v->got = dup(got ? got : "");
  v->message = dup(msg);
  if (!v->path || !v->got || !v->message) {
    free(v->path);
    free(v->got);
    free(v->message);
    e->oom = 1;
    return;
  }
  e->n++;
}

void fws_verrs_truncate(fws_verrs *e, size_t mark) {
  while (e->n > mark) {
    fws_verr *v = &e->items[--e->n];
    free(v->path);
    free(v->got);
    free(v->message);
  }
  if (e->total > mark) e->total = mark;
}

void fws_verrs_free(fws_verrs *e) {
  fws_verrs_truncate(e, 0);
  free(e->items);
  e->items = NULL;
  e->cap = 0;
  e->total = 0;
}
