/* UTF-8: validation (no overlongs, no surrogates, nothing above U+10FFFF) and code point counts. */
#ifndef FWS_UTF8_H
#define FWS_UTF8_H

#include <stddef.h>

/* Length of the valid prefix: == len when the whole text is valid UTF-8. */
size_t fws_utf8_valid_prefix(const char *s, size_t len);
static inline int fws_utf8_valid(const char *s, size_t len) { return fws_utf8_valid_prefix(s, len) == len; }
/* Code points in valid UTF-8 text. */
size_t fws_utf8_count(const char *s, size_t len);
/* Writes the code point as UTF-8, returns the bytes written (1..4). */
size_t fws_utf8_put(unsigned cp, char *out);

#endif
