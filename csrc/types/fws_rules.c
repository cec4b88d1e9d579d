#include "types/fws_rules.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>

#include "types/fws_formats.h"
#include "types/fws_numtext.h"
#include "types/fws_utf8.h"

int fws_rules_string(const fws_crules *cr, void *match_data, const char *s, size_t n, fws_verrs *e,
                     const fws_path *p) {
  int ok = 1;
  size_t chars = (size_t)-1;
  for (; cr; cr = cr->next) {
    const fws_rules *r = cr->r;
    if (r->has_min_length || r->has_max_length) {
      if (chars == (size_t)-1) chars = fws_utf8_count(s, n);
      if (r->has_min_length && chars < r->min_length) {
        fws_verrs_add(e, p, "string", "string", "is %zu characters long, shorter than minLength %llu", chars,
                      (unsigned long long)r->min_length);
        ok = 0;
      }
      if (r->has_max_length && chars > r->max_length) {
        fws_verrs_add(e, p, "string", "string", "is %zu characters long, longer than maxLength %llu", chars,
                      (unsigned long long)r->max_length);
        ok = 0;
      }
    }
    if (cr->re) {
      int rc = pcre2_match((const pcre2_code *)cr->re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, match_data, NULL);
      if (rc < 0) {
        if (rc == PCRE2_ERROR_NOMATCH)
          fws_verrs_add(e, p, "string", "string", "does not match the pattern %s", r->pattern);
        else {
          /* e.g. the match limit, on a pattern that backtracks without end: say so, not just a number */
          PCRE2_UCHAR why[120];
          if (pcre2_get_error_message(rc, why, sizeof why) < 0) snprintf((char *)why, sizeof why, "error %d", rc);
          fws_verrs_add(e, p, "string", "string", "could not be matched against the pattern %s (%s)", r->pattern,
                        (const char *)why);
        }
        ok = 0;
      }
    }
    if (r->format && fws_check_format(r->format, s, n) == 0) {
      fws_verrs_add(e, p, "string", "string", "is not a valid %s", r->format);
      ok = 0;
    }
  }
  return ok;
}

static int is_multiple(double d, double m, int is_int, int64_t i) {
  if (is_int && m == floor(m) && m <= 9007199254740992.0) return i % (int64_t)m == 0;
  double q = d / m;
  return fabs(q - nearbyint(q)) <= 1e-9 * (fabs(q) > 1 ? fabs(q) : 1);
}

/* A number as the shortest text that reads back as it (0.1, not 0.10000000000000001). */
static const char *num_text(double d, char *buf) {
  buf[fws_fmt_double(d, 0, buf)] = '\0';
  return buf;
}

int fws_rules_number(const fws_crules *cr, double d, int is_int, int64_t i, fws_verrs *e, const fws_path *p) {
  int ok = 1;
  const char *got = is_int ? "integer" : "number";
  char v[48], b[48];
  if (is_int) snprintf(v, sizeof v, "%lld", (long long)i);
  else num_text(d, v);
  for (; cr; cr = cr->next) {
    const fws_rules *r = cr->r;
    /* compare integers exactly where the bound is an integer */
    double x = is_int ? (double)i : d;
    if (r->has_min) {
      int below = r->exclusive_min ? !(x > r->min) : !(x >= r->min);
      if (is_int && r->min == floor(r->min) && fabs(r->min) < 9.2e18)
        below = r->exclusive_min ? !(i > (int64_t)r->min) : !(i >= (int64_t)r->min);
      if (below) {
        fws_verrs_add(e, p, "number", got, "%s is below the %s %s", v, r->exclusive_min ? "exclusive minimum" : "minimum",
                      num_text(r->min, b));
        ok = 0;
      }
    }
    if (r->has_max) {
      int above = r->exclusive_max ? !(x < r->max) : !(x <= r->max);
      if (is_int && r->max == floor(r->max) && fabs(r->max) < 9.2e18)
        above = r->exclusive_max ? !(i < (int64_t)r->max) : !(i <= (int64_t)r->max);
      if (above) {
        fws_verrs_add(e, p, "number", got, "%s is above the %s %s", v, r->exclusive_max ? "exclusive maximum" : "maximum",
                      num_text(r->max, b));
        ok = 0;
      }
    }
    if (r->has_multiple_of && !is_multiple(x, r->multiple_of, is_int, i)) {
      fws_verrs_add(e, p, "number", got, "%s is not a multiple of %s", v, num_text(r->multiple_of, b));
      ok = 0;
    }
  }
  return ok;
}

int fws_rules_count(const fws_crules *cr, size_t count, fws_verrs *e, const fws_path *p) {
  int ok = 1;
  for (; cr; cr = cr->next) {
    const fws_rules *r = cr->r;
    if (r->has_min_items && count < r->min_items) {
      fws_verrs_add(e, p, "list", "list", "has %zu items, fewer than minItems %llu", count, (unsigned long long)r->min_items);
      ok = 0;
    }
    if (r->has_max_items && count > r->max_items) {
      fws_verrs_add(e, p, "list", "list", "has %zu items, more than maxItems %llu", count, (unsigned long long)r->max_items);
      ok = 0;
    }
  }
  return ok;
}
