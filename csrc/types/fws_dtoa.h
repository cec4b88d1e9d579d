/* Shortest-ish decimal text for a double that reads back as exactly that double (Grisu2: always
** round-trips, shortest in nearly every case), without printf and strtod on the hot path. */
#ifndef FWS_DTOA_H
#define FWS_DTOA_H

#include <stddef.h>

/* d finite and nonzero. Writes the digits (no sign, no point) into digits (at least 20 bytes) and
** sets *exp10 so that the value is digits x 10^exp10. Returns the number of digits. */
int fws_dtoa_digits(double d, char *digits, int *exp10);
/* The JSON text of a finite double into out (at least 40 bytes); returns the length. */
size_t fws_dtoa(double d, char *out);

#endif
