#include "types/fws_verr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/fws_utf8.h"

/* ASCII only: <ctype.h> follows the locale, which a Lua program may change */
static int alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static int is_ident(const char *s, size_t n) {
  if (n == 0 || !alpha(s[0])) return 0;
  for (size_t i = 1; i < n; i++)
    if (!alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9')) return 0;
  return 1;
}

/* Cuts a text where it stops being UTF-8: snprintf may have cut a character in two. */
static void trim_utf8(char *s) {
  size_t n = strlen(s);
  s[fws_utf8_valid_prefix(s, n)] = '\0';
}

/* Bytes of s[i..n) that form one printable character: a valid UTF-8 sequence or a printable ASCII
** byte; 0 for a control byte or a byte that starts no valid sequence (written \xNN instead). */
static size_t char_len(const char *s, size_t i, size_t n) {
  unsigned char c = (unsigned char)s[i];
  if (c < 0x80) return c < 0x20 || c == 0x7f ? 0 : 1;
  size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  return k && k <= n - i && fws_utf8_valid_prefix(s + i, k) == k ? k : 0;
}

const char *fws_excerpt(char *buf, size_t size, const char *s, size_t n, size_t max) {
  size_t at = 0, i = 0;
  while (i < n) {
    size_t k = char_len(s, i, n);
    if (i + (k ? k : 1) > max || at + 8 > size) break;
    if (k) {
      memcpy(buf + at, s + i, k);
      at += k;
      i += k;
    } else {
      at += (size_t)snprintf(buf + at, size - at, "\\x%02x", (unsigned char)s[i]);
      i++;
    }
  }
  if (i < n && at + 4 <= size) {
    memcpy(buf + at, "...", 3);
    at += 3;
  }
  buf[at] = '\0';
  return buf;
}

void fws_textlist_add(fws_textlist *l, const char *item, int quote) {
  if (l->full) return;
  if (!item) item = "?";
  char ex[256];
  fws_excerpt(ex, sizeof ex, item, strlen(item), 60);
  const char *sep = l->n ? ", " : "", *q = quote ? "'" : "";
  size_t need = strlen(sep) + 2 * strlen(q) + strlen(ex);
  if (l->len + need + sizeof ", ..." > sizeof l->text) {
    /* no room: say there is more (the buffer always keeps room for this) */
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s...", sep);
    l->full = 1;
    return;
  }
  l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s%s%s%s", sep, q, ex, q);
  l->n++;
}

/* One step of a path as text (".name", "[2]", "[\"x-y\"]"); after: a step was written before it. */
static size_t seg_format(const fws_pathseg *s, int after, char *buf, size_t size) {
  size_t at = 0;
  buf[0] = '\0';
#define OUT(...) (at += (size_t)snprintf(buf + (at < size ? at : size - 1), at < size ? size - at : 1, __VA_ARGS__))
  size_t len = s->len > 80 ? 80 : s->len;
  if (!s->key && s->index == INT64_MIN) return 0; /* fws_path_none */
  if (!s->key) OUT("[%lld]", (long long)s->index);
  else if (is_ident(s->key, s->len)) OUT("%s%.*s", after ? "." : "", (int)len, s->key);
  else {
    OUT("[\"");
    for (size_t k = 0; k < len;) {
      unsigned char c = (unsigned char)s->key[k];
      size_t cl = char_len(s->key, k, len);
      if (c == '"' || c == '\\') OUT("\\%c", c);
      else if (!cl) OUT("\\x%02x", c); /* a control byte, or not UTF-8: the text stays valid UTF-8 */
      else OUT("%.*s", (int)cl, s->key + k);
      k += cl ? cl : 1;
    }
    OUT("\"]");
  }
#undef OUT
  return at < size ? at : size - 1;
}

enum { SEG_MAX = 80 * 4 + 16 };

size_t fws_path_format(const fws_path *p, char *buf, size_t size) {
  char seg[SEG_MAX];
  size_t lens[FWS_MAX_DEPTH + 2], total = 0, at = 0;
  for (int i = 0; i < p->n; i++) total += lens[i] = seg_format(&p->segs[i], 1, seg, sizeof seg);
  /* too long: the first steps, "...", and the last ones (where the fault is) */
  int head = p->n, tail = p->n;
  if (total >= size) {
    size_t budget = size - 4, used = 0;
    while (tail > 0 && used + lens[tail - 1] <= budget / 2) used += lens[--tail];
    head = 0;
    while (head < tail && used + lens[head] <= budget) used += lens[head++];
  }
  for (int i = 0; i < p->n; i++) {
    if (i == head && head < tail) {
      memcpy(buf + at, "...", 3);
      at += 3;
      i = tail - 1;
      continue;
    }
    size_t n = seg_format(&p->segs[i], at > 0 && !(i == tail && head < tail), seg, sizeof seg);
    if (at + n >= size) break;
    memcpy(buf + at, seg, n);
    at += n;
  }
  buf[at] = '\0';
  return at;
}

static char *dup(const char *s) {
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

void fws_verrs_add(fws_verrs *e, const fws_path *p, const char *expected, const char *got, const char *fmt, ...) {
  e->total++;
  if (e->muted || e->n >= FWS_MAX_ERRORS_KEPT) return;
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
  trim_utf8(path);
  trim_utf8(detail);
  if (path[0]) snprintf(msg, sizeof msg, "%s: %s", path, detail);
  else snprintf(msg, sizeof msg, "%s", detail);
  trim_utf8(msg);
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
