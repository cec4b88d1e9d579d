/* Credentials out of the server's words. A refused upgrade's body, an answer quoted in an error
** and a close reason are the server's text, and servers echo what they were sent ("invalid key
** sk-123..."): every credential the request carried is masked before such text reaches the user.
** The credentials: those the caller names (the definition's auth, a secret subprotocol's key), and
** the values of headers and query parameters named like credentials ("Authorization", "api_key":
** one typed in by hand); of a header's "Scheme value", the value alone too. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

#define MASK "***"
#define MASK_LEN 3
#define MIN_SECRET 4  /* shorter values are not credentials; masking them would garble the text */

static int add(fws_client_cfg *cfg, const char *s, size_t n) {
  char **grown, *d;
  if (n < MIN_SECRET) return 0;
  if (!(d = malloc(n + 1))) return -1;
  if (!(grown = realloc(cfg->secrets, (cfg->nsecrets + 1) * sizeof *grown))) {
    free(d);
    return -1;
  }
  memcpy(d, s, n);
  d[n] = '\0';
  cfg->secrets = grown;
  cfg->secrets[cfg->nsecrets++] = d;
  return 0;
}

/* A name one of whose words is a credential's: "X-Api-Key", "api_key", "accessToken",
** "Authorization"; not "keyterm" or "author". Words split at punctuation and at a lower-to-upper
** case change. */
static int named_like_credential(const char *k, size_t n) {
  static const char *const words[] = {"key", "apikey", "token", "accesstoken", "secret", "password",
                                      "passwd", "auth", "authorization", "sig", "signature",
                                      "credential", "credentials", "cookie", NULL};
  size_t i = 0;
  while (i < n) {
    char w[32];
    size_t wl = 0;
    while (i < n && !isalnum((unsigned char)k[i])) i++;
    while (i < n && isalnum((unsigned char)k[i])) {
      if (wl < sizeof w - 1) w[wl++] = (char)tolower((unsigned char)k[i]);
      i++;
      if (i < n && isupper((unsigned char)k[i]) && islower((unsigned char)k[i - 1])) break;
    }
    w[wl] = '\0';
    for (const char *const *p = words; wl && *p; p++)
      if (strcmp(w, *p) == 0) return 1;
  }
  return 0;
}

static int add_query(fws_client_cfg *cfg, const char *path) {
  const char *p = strchr(path, '?');
  while (p && *p) {
    const char *k = p + 1, *end = strchr(k, '&'), *eq;
    if (!end) end = k + strlen(k);
    eq = memchr(k, '=', (size_t)(end - k));
    if (eq && named_like_credential(k, (size_t)(eq - k)) && add(cfg, eq + 1, (size_t)(end - eq - 1)))
      return -1;
    p = *end ? end : NULL;
  }
  return 0;
}

int fws_scrub_collect(fws_client_cfg *cfg, const fws_conn_opts *o) {
  size_t i;
  for (i = 0; i < o->nsecrets; i++)
    if (o->secrets[i] && add(cfg, o->secrets[i], strlen(o->secrets[i]))) return -1;
  for (i = 0; i < o->nheaders; i++) {
    const char *v = o->headers[i].value, *sp = strchr(v, ' ');
    if (!named_like_credential(o->headers[i].name, strlen(o->headers[i].name))) continue;
    if (add(cfg, v, strlen(v))) return -1;
    if (sp && add(cfg, sp + 1, strlen(sp + 1))) return -1;
  }
  return add_query(cfg, cfg->url.path);
}

void fws_scrub_free(fws_client_cfg *cfg) {
  size_t i;
  for (i = 0; i < cfg->nsecrets; i++) free(cfg->secrets[i]);
  free(cfg->secrets);
  cfg->secrets = NULL;
  cfg->nsecrets = 0;
}

size_t fws_scrub(const fws_client_cfg *cfg, char *s, size_t n, int cut) {
  size_t k, i, m;
  for (k = 0; k < cfg->nsecrets; k++) {
    const char *sec = cfg->secrets[k];
    size_t sl = strlen(sec);
    for (i = 0; i + sl <= n;) {
      if (memcmp(s + i, sec, sl) != 0) {
        i++;
        continue;
      }
      memcpy(s + i, MASK, MASK_LEN);
      memmove(s + i + MASK_LEN, s + i + sl, n - i - sl);
      n -= sl - MASK_LEN;
      i += MASK_LEN;
    }
    /* a text cut short may end with the start of one */
    for (m = sl - 1 < n ? sl - 1 : n; m >= MIN_SECRET && cut; m--)
      if (memcmp(s + n - m, sec, m) == 0) {
        memcpy(s + n - m, MASK, MASK_LEN);
        n = n - m + MASK_LEN;
        break;
      }
  }
  return n;
}
