/*
** fws_http.c: the HTTP/1.1 half of a WebSocket handshake (RFC 6455 section 4), both ends: the
** head of a request or a response read into a buffer and split in place, the header lookups
** the handshake needs, and Sec-WebSocket-Accept. No socket, no libwebsockets: the connection
** code feeds it bytes.
*/
#define _POSIX_C_SOURCE 200809L
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/fws_int.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int fws_http_collect(fws_http_head *h, const unsigned char *in, size_t n, size_t *used, char *err,
                     size_t errlen) {
  size_t i, start = h->len > 3 ? h->len - 3 : 0;
  *used = 0;
  if (h->len + n + 1 > h->cap) {
    size_t cap = h->cap ? h->cap : 1024;
    char *nb;
    while (cap < h->len + n + 1 && cap < FWS_HTTP_MAX_HEAD + 1) cap *= 2;
    if (cap > FWS_HTTP_MAX_HEAD + 1) cap = FWS_HTTP_MAX_HEAD + 1;
    if (cap != h->cap) {
      if (!(nb = realloc(h->buf, cap))) {
        fws_set_err(err, errlen, "out of memory");
        return -1;
      }
      h->buf = nb;
      h->cap = cap;
    }
  }
  /* only the bytes of the head: what follows it (frames, a body) stays with the caller */
  for (i = 0; i < n; i++) {
    if (h->len + 1 >= h->cap) {
      fws_set_err(err, errlen, "the HTTP head is over %u bytes", (unsigned)FWS_HTTP_MAX_HEAD);
      return -1;
    }
    h->buf[h->len++] = (char)in[i];
    if (h->len >= 4 && h->len - 4 >= start && !memcmp(h->buf + h->len - 4, "\r\n\r\n", 4)) {
      *used = i + 1;
      h->buf[h->len] = '\0';
      return 1;
    }
  }
  *used = n;
  return 0;
}

static int is_tchar(unsigned char ch) { /* RFC 7230 token characters */
  return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", ch);
}

int fws_http_parse(fws_http_head *h, int response, char *err, size_t errlen) {
  char *p = h->buf, *eol, *line;
  h->nh = 0;
  h->status = 0;
  h->method = h->target = h->reason = NULL;
  eol = strstr(p, "\r\n");
  if (!eol) goto bad;
  *eol = '\0';
  line = p;
  if (response) {
    /* HTTP/1.1 101 Switching Protocols */
    char *sp;
    if (strncmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') || line[8] != ' ') goto bad;
    h->minor = line[7] - '0';
    sp = line + 9;
    if (sp[0] < '1' || sp[0] > '5' || sp[1] < '0' || sp[1] > '9' || sp[2] < '0' || sp[2] > '9' ||
        (sp[3] && sp[3] != ' '))
      goto bad;
    h->status = (sp[0] - '0') * 100 + (sp[1] - '0') * 10 + (sp[2] - '0');
    h->reason = sp[3] ? sp + 4 : sp + 3;
  } else {
    /* GET /path?q HTTP/1.1 */
    char *s1 = strchr(line, ' '), *s2;
    if (!s1) goto bad;
    *s1 = '\0';
    s2 = strchr(s1 + 1, ' ');
    if (!s2) goto bad;
    *s2 = '\0';
    h->method = line;
    h->target = s1 + 1;
    if (strncmp(s2 + 1, "HTTP/1.", 7) || (s2[8] != '0' && s2[8] != '1') || s2[9]) goto bad;
    h->minor = s2[8] - '0';
    for (char *t = h->method; *t; t++)
      if (!is_tchar((unsigned char)*t)) goto bad;
    for (char *t = h->target; *t; t++)
      if ((unsigned char)*t <= 0x20 || *t == 0x7f) goto bad;
    if (!*h->target) goto bad;
  }
  p = eol + 2;
  while (*p && !(p[0] == '\r' && p[1] == '\n')) {
    char *colon, *v, *end;
    eol = strstr(p, "\r\n");
    if (!eol) goto bad;
    *eol = '\0';
    if (*p == ' ' || *p == '\t') { /* obsolete line folding: refused (RFC 7230 3.2.4) */
      fws_set_err(err, errlen, "folded header lines are not allowed");
      return -1;
    }
    colon = strchr(p, ':');
    if (!colon || colon == p) goto bad;
    for (char *t = p; t < colon; t++)
      if (!is_tchar((unsigned char)*t)) goto bad;
    *colon = '\0';
    v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
    for (char *t = v; *t; t++)
      if (((unsigned char)*t < 0x20 && *t != '\t') || *t == 0x7f) goto bad;
    if (h->nh == FWS_HTTP_MAX_HEADERS) {
      fws_set_err(err, errlen, "more than %d header lines", FWS_HTTP_MAX_HEADERS);
      return -1;
    }
    h->hname[h->nh] = p;
    h->hvalue[h->nh] = v;
    h->nh++;
    p = eol + 2;
  }
  return 0;
bad:
  fws_set_err(err, errlen, response ? "the answer is not HTTP" : "the request is not HTTP");
  return -1;
}

const char *fws_http_get(const fws_http_head *h, const char *name) {
  size_t i;
  for (i = 0; i < h->nh; i++)
    if (!strcasecmp(h->hname[i], name)) return h->hvalue[i];
  return NULL;
}

int fws_http_count(const fws_http_head *h, const char *name) {
  size_t i;
  int n = 0;
  for (i = 0; i < h->nh; i++)
    if (!strcasecmp(h->hname[i], name)) n++;
  return n;
}

/* Is want one of the comma-separated items of list (white space around them ignored)? */
static int in_list(const char *list, const char *want, int nocase) {
  size_t wl = strlen(want);
  const char *p = list;
  while (p && *p) {
    size_t n;
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    n = strcspn(p, ",");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n == wl && !(nocase ? strncasecmp(p, want, n) : strncmp(p, want, n))) return 1;
    p += strcspn(p, ",");
  }
  return 0;
}

/* Does any header `name` list `token` (comma-separated, case-insensitive)? */
int fws_http_has_token(const fws_http_head *h, const char *name, const char *token) {
  size_t i;
  for (i = 0; i < h->nh; i++)
    if (!strcasecmp(h->hname[i], name) && in_list(h->hvalue[i], token, 1)) return 1;
  return 0;
}

int fws_http_listed(const char *list, const char *want) { return in_list(list, want, 0); }

void fws_http_head_drop(fws_http_head **h) {
  if (!*h) return;
  fws_http_free(*h);
  free(*h);
  *h = NULL;
}

void fws_http_free(fws_http_head *h) {
  free(h->buf);
  memset(h, 0, sizeof *h);
}

static size_t b64(const unsigned char *in, size_t n, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, o = 0;
  for (i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = t[(v >> 18) & 63];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? t[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

void fws_http_accept(const char *key, char out[29]) {
  unsigned char md[SHA_DIGEST_LENGTH];
  char buf[128];
  int n = snprintf(buf, sizeof buf, "%.60s%s", key, ws_guid);
  SHA1((const unsigned char *)buf, (size_t)n, md);
  b64(md, sizeof md, out);
}

void fws_http_key(const unsigned char raw[16], char out[25]) { b64(raw, 16, out); }

/* A valid Sec-WebSocket-Key is the base64 of 16 bytes: 22 characters and "==". */
int fws_http_key_ok(const char *key) {
  size_t i;
  if (!key || strlen(key) != 24 || strcmp(key + 22, "==")) return 0;
  for (i = 0; i < 22; i++)
    if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
          (key[i] >= '0' && key[i] <= '9') || key[i] == '+' || key[i] == '/'))
      return 0;
  return 1;
}
