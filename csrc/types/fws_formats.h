/* The checks behind Fern's string-shaped primitives and the `format` validation rule. */
#ifndef FWS_FORMATS_H
#define FWS_FORMATS_H

#include <stddef.h>

#include "types/fws_schema.h"

int fws_is_datetime(const char *s, size_t n);  /* RFC 3339 date-time */
int fws_is_date(const char *s, size_t n);      /* YYYY-MM-DD, a real day */
int fws_is_uuid(const char *s, size_t n);      /* 8-4-4-4-12 hex digits */
int fws_is_base64(const char *s, size_t n);    /* RFC 4648 alphabet, padded */
int fws_is_bigint(const char *s, size_t n);    /* an optional '-' and decimal digits */
/* The check of a string-shaped primitive (datetime, date, uuid, base64, bigint): 1 when s is
** one; other ops (a plain string) always pass. */
int fws_is_primitive(fws_op op, const char *s, size_t n);
/* `format`: 1 valid, 0 invalid, -1 a format fernws does not check (an annotation). */
int fws_check_format(const char *format, const char *s, size_t n);

#endif
