/*
** fws_url.c: ws:// and wss:// URLs. Path and query are kept verbatim (the layer above encodes
** them); the host is what we resolve and what TLS verifies.
*/
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/fws_int.h"

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

int fws_is_numeric_host(const char *host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int fws_url_parse(const char *url, fws_url *out, char *err, size_t errlen) {
  const char *p, *hs, *he, *rest;
  memset(out, 0, sizeof *out);
  if (!url) {
    fws_set_err(err, errlen, "no url");
    return -1;
  }
  if (!strncasecmp(url, "ws://", 5)) {
    p = url + 5;
  } else if (!strncasecmp(url, "wss://", 6)) {
    p = url + 6;
    out->tls = 1;
  } else {
    fws_set_err(err, errlen, "url must start with ws:// or wss://");
    return -1;
  }
  out->port = out->tls ? 443 : 80;
  for (const char *s = url; *s; s++)
    if ((unsigned char)*s <= 0x20 || *s == 0x7f) {
      fws_set_err(err, errlen, "url contains a space or control character");
      return -1;
    }
  if (strchr(p, '@') && strchr(p, '@') < p + strcspn(p, "/?#")) {
    fws_set_err(err, errlen, "url must not carry user info (use headers)");
    return -1;
  }
  if (*p == '[') {  /* IPv6 literal */
    hs = p + 1;
    he = strchr(hs, ']');
    if (!he || he == hs) {
      fws_set_err(err, errlen, "url has a bad IPv6 literal");
      return -1;
    }
    rest = he + 1;
    out->ipv6 = 1;
  } else {
    hs = p;
    he = p + strcspn(p, ":/?#");
    rest = he;
  }
  if (he == hs) {
    fws_set_err(err, errlen, "url has no host");
    return -1;
  }
  if (*rest == ':') {
    char *end;
    long port = strtol(rest + 1, &end, 10);
    if (end == rest + 1 || port < 1 || port > 65535 || (*end && !strchr("/?#", *end))) {
      fws_set_err(err, errlen, "url has a bad port");
      return -1;
    }
    out->port = (int)port;
    rest = end;
  } else if (*rest && !strchr("/?#", *rest)) {
    fws_set_err(err, errlen, "url has a bad host");
    return -1;
  }
  out->host = dupn(hs, (size_t)(he - hs));
  {
    size_t n = strcspn(rest, "#");  /* a fragment never goes on the wire */
    if (*rest == '?') {             /* "ws://h?x" means "/?x" */
      out->path = malloc(n + 2);
      if (out->path) {
        out->path[0] = '/';
        memcpy(out->path + 1, rest, n);
        out->path[n + 1] = '\0';
      }
    } else {
      out->path = n ? dupn(rest, n) : dupn("/", 1);
    }
  }
  if (!out->host || !out->path) {
    fws_url_free(out);
    fws_set_err(err, errlen, "out of memory");
    return -1;
  }
  if (out->ipv6) {
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET6, out->host, buf) != 1) {
      fws_url_free(out);
      fws_set_err(err, errlen, "url has a bad IPv6 literal");
      return -1;
    }
  }
  return 0;
}

/* http(s) is how servers usually write a WebSocket redirect: the same thing for us. */
static const char *ws_form(const char *loc, char *buf, size_t n) {
  if (!strncasecmp(loc, "http://", 7)) snprintf(buf, n, "ws://%s", loc + 7);
  else if (!strncasecmp(loc, "https://", 8)) snprintf(buf, n, "wss://%s", loc + 8);
  else return loc;
  return buf;
}

int fws_url_resolve(const fws_url *base, const char *loc, fws_url *out, char *err, size_t errlen) {
  size_t n = strlen(loc) + 16;
  char *buf, *tmp = NULL;
  int r;
  if (strlen(loc) > 4096) {
    fws_set_err(err, errlen, "the Location is too long");
    return -1;
  }
  if (!(buf = malloc(n + strlen(base->host) + strlen(base->path) + 16))) {
    fws_set_err(err, errlen, "out of memory");
    return -1;
  }
  if (loc[0] == '/' && loc[1] == '/') {  /* scheme-relative */
    sprintf(buf, "%s:%s", base->tls ? "wss" : "ws", loc);
  } else if (strstr(loc, "://") && strcspn(loc, "/?#") > (size_t)(strstr(loc, "://") - loc)) {
    tmp = malloc(n);
    if (!tmp) {
      free(buf);
      fws_set_err(err, errlen, "out of memory");
      return -1;
    }
    strcpy(buf, ws_form(loc, tmp, n));
  } else {  /* a path: absolute, or relative to the base path's folder */
    int dirlen = 0;
    const char *q = strchr(base->path, '?');
    size_t plen = q ? (size_t)(q - base->path) : strlen(base->path);
    if (loc[0] != '/') {
      while (plen && base->path[plen - 1] != '/') plen--;
      dirlen = (int)plen;
    }
    sprintf(buf, base->ipv6 ? "%s://[%s]:%d%.*s%s" : "%s://%s:%d%.*s%s", base->tls ? "wss" : "ws",
            base->host, base->port, dirlen, base->path, loc);
  }
  r = fws_url_parse(buf, out, err, errlen);
  free(tmp);
  free(buf);
  return r;
}

int fws_url_same_origin(const fws_url *a, const fws_url *b) {
  return a->tls == b->tls && a->port == b->port && !strcasecmp(a->host, b->host);
}

char *fws_url_text(const fws_url *u) {
  size_t n = strlen(u->host) + strlen(u->path) + 32, q = strcspn(u->path, "?");
  char *t = malloc(n);
  if (t)
    snprintf(t, n, u->ipv6 ? "%s://[%s]:%d%.*s" : "%s://%s:%d%.*s", u->tls ? "wss" : "ws", u->host,
             u->port, (int)q, u->path);
  return t;
}

char *fws_url_hostport(const fws_url *u) {
  size_t n = strlen(u->host) + 16;
  char *t = malloc(n);
  if (!t) return NULL;
  if (u->port == (u->tls ? 443 : 80)) snprintf(t, n, u->ipv6 ? "[%s]" : "%s", u->host);
  else snprintf(t, n, u->ipv6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
  return t;
}

void fws_url_drop(fws_url **u) {
  if (!*u) return;
  fws_url_free(*u);
  free(*u);
  *u = NULL;
}

void fws_url_free(fws_url *u) {
  free(u->host);
  free(u->path);
  u->host = u->path = NULL;
}
