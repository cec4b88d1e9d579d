/* Did-you-mean: how far a misspelt name is from the names it could have meant. */
#include <string.h>

#include "defn/fws_loader.h"

static int same(char a, char b) {
  return a == b || ((a | 32) == (b | 32) && (a | 32) >= 'a' && (a | 32) <= 'z');
}

size_t fws_edit_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return limit + 1;
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  /* optimal string alignment: Levenshtein plus the swap of two neighbours ("lsit" -> "list") */
  size_t rows[3][65];
  size_t *prev2 = rows[0], *prev = rows[1], *row = rows[2];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    row[0] = i;
    size_t best = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t v = prev[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    size_t *t = prev2;
    prev2 = prev;
    prev = row;
    row = t;
  }
  return prev[lb];
}

int fws_is_near(const char *typed, const char *candidate, size_t *dist) {
  size_t allowed = strlen(typed) / 3;
  if (allowed < 1) allowed = 1;
  size_t d = fws_edit_distance(typed, candidate, allowed);
  if (dist) *dist = d;
  return d <= allowed;
}

const char *fws_nearest(const char *typed, const char *const *candidates) {
  const char *best = NULL;
  size_t bd = (size_t)-1, d;
  for (; *candidates; candidates++)
    if (fws_is_near(typed, *candidates, &d) && d < bd) {
      bd = d;
      best = *candidates;
    }
  return best;
}
