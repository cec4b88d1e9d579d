#define _POSIX_C_SOURCE 200809L
#include "types/fws_formats.h"

#include <arpa/inet.h>
#include <string.h>

static int digits(const char *s, size_t n, int *out) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

static int days_in(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

int fws_is_date(const char *s, size_t n) {
  int y, m, d;
  if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return 0;
  return m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

/* HH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
static int is_time(const char *s, size_t n) {
  int h, mi, se;
  if (n < 9 || s[2] != ':' || s[5] != ':') return 0;
  if (!digits(s, 2, &h) || !digits(s + 3, 2, &mi) || !digits(s + 6, 2, &se)) return 0;
  if (h > 23 || mi > 59 || se > 59) return 0;
  size_t i = 8;
  if (i < n && s[i] == '.') {
    size_t start = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == start) return 0;
  }
  if (i == n) return 0; /* the offset is required */
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) return 1;
  if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
    int oh, om;
    return digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59;
  }
  return 0;
}

int fws_is_datetime(const char *s, size_t n) {
  /* RFC 3339 allows t and (its NOTE) a space; the Fern CLI takes a space too */
  return n > 11 && fws_is_date(s, 10) && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && is_time(s + 11, n - 11);
}

static int hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int fws_is_uuid(const char *s, size_t n) {
  if (n != 36) return 0;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return 0;
    } else if (!hex(s[i])) {
      return 0;
    }
  }
  return 1;
}

static int b64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int fws_is_base64(const char *s, size_t n) {
  if (n % 4) return 0;
  size_t pad = 0;
  if (n >= 1 && s[n - 1] == '=') pad++;
  if (n >= 2 && s[n - 2] == '=') pad++;
  for (size_t i = 0; i < n - pad; i++)
    if (!b64(s[i])) return 0;
  return 1;
}

int fws_is_bigint(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i == n) return 0;
  for (; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static int is_hostname(const char *s, size_t n) {
  if (n == 0 || n > 253) return 0;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return 0;
      label = 0;
      continue;
    }
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c == '-' && label > 0);
    if (!ok || ++label > 63) return 0;
  }
  return label > 0 && s[n - 1] != '-';
}

static int is_email(const char *s, size_t n) {
  const char *at = memchr(s, '@', n);
  if (!at || at == s) return 0;
  size_t local = (size_t)(at - s);
  if (memchr(at + 1, '@', n - local - 1)) return 0;
  for (size_t i = 0; i < local; i++)
    if ((unsigned char)s[i] <= ' ') return 0;
  return is_hostname(at + 1, n - local - 1) && memchr(at + 1, '.', n - local - 1);
}

static int is_uri(const char *s, size_t n) {
  /* scheme ":" then no spaces: enough to catch a relative path or a stray word */
  size_t i = 0;
  if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  while (i < n && s[i] != ':') {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
      return 0;
    i++;
  }
  if (i == n || i + 1 == n) return 0;
  for (; i < n; i++)
    if ((unsigned char)s[i] <= ' ') return 0;
  return 1;
}

static int is_ip(int family, const char *s, size_t n) {
  char buf[64];
  unsigned char out[16];
  if (n >= sizeof buf) return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return inet_pton(family, buf, out) == 1;
}

int fws_check_format(const char *f, const char *s, size_t n) {
  if (strcmp(f, "date-time") == 0 || strcmp(f, "datetime") == 0) return fws_is_datetime(s, n);
  if (strcmp(f, "date") == 0) return fws_is_date(s, n);
  if (strcmp(f, "uuid") == 0) return fws_is_uuid(s, n);
  if (strcmp(f, "email") == 0) return is_email(s, n);
  if (strcmp(f, "uri") == 0 || strcmp(f, "url") == 0) return is_uri(s, n);
  if (strcmp(f, "hostname") == 0) return is_hostname(s, n);
  if (strcmp(f, "ipv4") == 0) return is_ip(AF_INET, s, n);
  if (strcmp(f, "ipv6") == 0) return is_ip(AF_INET6, s, n);
  if (strcmp(f, "byte") == 0 || strcmp(f, "base64") == 0) return fws_is_base64(s, n);
  return -1;
}

int fws_is_primitive(fws_op op, const char *s, size_t n) {
  switch (op) {
  case FWS_OP_DATETIME: return fws_is_datetime(s, n);
  case FWS_OP_DATE: return fws_is_date(s, n);
  case FWS_OP_UUID: return fws_is_uuid(s, n);
  case FWS_OP_BASE64: return fws_is_base64(s, n);
  case FWS_OP_BIGINT: return fws_is_bigint(s, n);
  default: return 1;
  }
}
