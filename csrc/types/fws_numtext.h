/* Numbers as JSON text and back, exact for 64-bit integers, independent of the C locale. */
#ifndef FWS_NUMTEXT_H
#define FWS_NUMTEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fws_num {
  int is_int;           /* written without fraction or exponent, and fits int64 */
  int exact;            /* integral and within int64, however written (7, 1.0, 1e2): the value is i */
  int is_uint;          /* integral, above INT64_MAX and within uint64: the value is u */
  int integral;         /* the value as written has no fraction (1.0, 1e2 and 7 all do; 1.5e0 not) */
  int64_t i;
  uint64_t u;
  double d;
} fws_num;

/* Parses a JSON number at p (strict grammar); returns the bytes used, 0 when p holds none. */
size_t fws_parse_number(const char *p, const char *end, fws_num *out);
/* Writes into out (at least 32 bytes); returns the length. */
size_t fws_fmt_int(int64_t v, char *out);
size_t fws_fmt_uint(uint64_t v, char *out);
/* The shortest text that reads back as d (at least 40 bytes). keep_float: 1.0 stays "1.0". */
size_t fws_fmt_double(double d, int keep_float, char *out);

#endif
