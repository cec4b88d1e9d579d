#include "types/fws_numtext.h"

#include "types/fws_dtoa.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pow10_exact[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double slow_strtod(const char *p, size_t n) {
  char buf[512];
  char *tmp = n < sizeof buf ? buf : malloc(n + 1);
  if (!tmp) return 0.0;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  /* strtod follows LC_NUMERIC: put the locale's decimal point where JSON has '.' */
  const char *dp = localeconv()->decimal_point;
  if (dp && dp[0] != '.' && dp[0] && !dp[1]) {
    char *dot = strchr(tmp, '.');
    if (dot) *dot = dp[0];
  }
  double d = strtod(tmp, NULL);
  if (tmp != buf) free(tmp);
  return d;
}

/* The integral value of u (0 and 1 for the sign): in i when it fits int64, else in u. */
static void set_integer(fws_num *out, uint64_t u, int neg) {
  if (!neg && u <= (uint64_t)INT64_MAX) {
    out->exact = 1;
    out->i = (int64_t)u;
  } else if (neg && u <= (uint64_t)INT64_MAX + 1) {
    out->exact = 1;
    out->i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
  } else if (!neg) {
    out->is_uint = 1;
    out->u = u;
  }
}

/* A number written with a fraction or an exponent (1.0, 1e2, 25.0e-1) is integral when no digit
** other than 0 falls after the decimal point once the exponent has moved it; its value is then
** computed from the digits, exactly (the double may have rounded: -9223372036854775809.0). */
static void exact_integral(fws_num *out, const char *is, const char *ie, const char *fs, const char *fe, int64_t exp,
                           int neg) {
  size_t nint = (size_t)(ie - is), nfrac = fs ? (size_t)(fe - fs) : 0, n = nint + nfrac;
  int64_t point = (int64_t)nint + exp; /* digits before this index are the integer part */
  uint64_t u = 0;
  int overflow = 0;
  for (size_t k = 0; k < n; k++) {
    unsigned dgt = (unsigned)((k < nint ? is[k] : fs[k - nint]) - '0');
    if ((int64_t)k >= point) {
      if (dgt) return; /* a fraction: not integral */
      continue;
    }
    if (u > (UINT64_MAX - dgt) / 10) overflow = 1;
    else u = u * 10 + dgt;
  }
  out->integral = 1;
  for (int64_t z = (int64_t)n; z < point && u && !overflow; z++) {
    if (u > UINT64_MAX / 10) overflow = 1;
    else u *= 10;
  }
  if (!overflow) set_integer(out, u, neg);
}

size_t fws_parse_number(const char *p, const char *end, fws_num *out) {
  const char *s = p;
  int neg = 0;
  if (s < end && *s == '-') neg = 1, s++;
  if (s >= end) return 0;
  const char *int_start = s;
  if (*s == '0') s++;
  else if (*s >= '1' && *s <= '9')
    while (s < end && *s >= '0' && *s <= '9') s++;
  else return 0;
  const char *int_end = s;
  int has_frac = 0, has_exp = 0;
  const char *frac_start = NULL, *frac_end = NULL;
  if (s < end && *s == '.') {
    s++;
    frac_start = s;
    while (s < end && *s >= '0' && *s <= '9') s++;
    if (s == frac_start) return 0;
    frac_end = s;
    has_frac = 1;
  }
  int64_t exp = 0;
  if (s < end && (*s == 'e' || *s == 'E')) {
    s++;
    int eneg = 0;
    if (s < end && (*s == '+' || *s == '-')) eneg = *s == '-', s++;
    const char *es = s;
    while (s < end && *s >= '0' && *s <= '9') {
      /* saturates far above any text's digit count, so the integral test stays exact */
      if (exp < 100000000000000000LL) exp = exp * 10 + (*s - '0');
      s++;
    }
    if (s == es) return 0;
    if (eneg) exp = -exp;
    has_exp = 1;
  }
  size_t len = (size_t)(s - p);
  memset(out, 0, sizeof *out);
  if (!has_frac && !has_exp) {
    /* an integer: exact in int64, or uint64 above it */
    uint64_t u = 0;
    int overflow = 0;
    for (const char *c = int_start; c < int_end; c++) {
      unsigned dgt = (unsigned)(*c - '0');
      if (u > (UINT64_MAX - dgt) / 10) overflow = 1;
      u = u * 10 + dgt;
    }
    out->integral = 1;
    if (!overflow) set_integer(out, u, neg);
    out->is_int = out->exact;
    if (out->exact || out->is_uint) {
      out->d = neg ? -(double)u : (double)u;
      return len;
    }
    out->d = slow_strtod(p, len);
    return len;
  }
  /* fast path: up to 19 significant digits and a small exponent are exact in double arithmetic */
  uint64_t m = 0;
  int digits = 0;
  for (const char *c = int_start; c < int_end; c++) {
    if (digits == 0 && *c == '0') continue;
    if (++digits > 19) break;
    m = m * 10 + (uint64_t)(*c - '0');
  }
  int64_t e10 = exp;
  if (has_frac && digits <= 19) {
    for (const char *c = frac_start; c < frac_end; c++) {
      if (digits == 0 && *c == '0') {
        e10--;
        continue;
      }
      if (++digits > 19) break;
      m = m * 10 + (uint64_t)(*c - '0');
      e10--;
    }
  }
  double d;
  if (digits <= 19 && m <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
    d = (double)m;
    d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
    if (neg) d = -d;
  } else {
    d = slow_strtod(p, len);
  }
  out->d = d;
  exact_integral(out, int_start, int_end, frac_start, frac_end, exp, neg);
  return len;
}

size_t fws_fmt_uint(uint64_t v, char *out) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

size_t fws_fmt_int(int64_t v, char *out) {
  if (v < 0) {
    out[0] = '-';
    return 1 + fws_fmt_uint(v == INT64_MIN ? (uint64_t)INT64_MAX + 1 : (uint64_t)(-v), out + 1);
  }
  return fws_fmt_uint((uint64_t)v, out);
}

size_t fws_fmt_double(double d, int keep_float, char *out) {
  if (d == floor(d) && fabs(d) < 9007199254740992.0 && !(d == 0 && signbit(d))) {
    size_t n = fws_fmt_int((int64_t)d, out);
    if (keep_float) {
      memcpy(out + n, ".0", 2);
      n += 2;
    }
    return n;
  }
  size_t n = fws_dtoa(d, out);
  if (keep_float && !memchr(out, '.', n) && !memchr(out, 'e', n)) {
    memcpy(out + n, ".0", 2);
    n += 2;
  }
  return n;
}
