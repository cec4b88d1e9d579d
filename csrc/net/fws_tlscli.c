/*
** fws_tlscli.c: a client's TLS, done with OpenSSL over memory BIOs on top of an lws raw socket
** (libwebsockets 4.1 does TLS for raw sockets on the server side only). Owning it also means the
** reasons are ours to tell: the certificate's verify result, a server that does not speak TLS,
** the alert a server sent; and an IPv6 literal is verified as an IP address.
**
** One SSL_CTX per CA file (or the system store) per loop, made on first use: loading the system
** store costs tens of milliseconds and a few megabytes.
*/
#define _POSIX_C_SOURCE 200809L
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

struct fws_sslctx {
  fws_sslctx *next;
  char *ca_file;  /* NULL: the system store */
  SSL_CTX *ctx;
};

struct fws_tlscli {
  SSL *ssl;
  BIO *rb, *wb;   /* ciphertext from the socket, and to it */
  int ready, cert;
  char err[240];
};

static SSL_CTX *ctx_for(fws_loop *loop, const char *ca_file, char *err, size_t errlen) {
  fws_sslctx *s;
  for (s = loop->sslctxs; s; s = s->next)
    if ((!ca_file && !s->ca_file) || (ca_file && s->ca_file && !strcmp(ca_file, s->ca_file))) return s->ctx;
  if (!(s = calloc(1, sizeof *s)) || (ca_file && !(s->ca_file = strdup(ca_file))) ||
      !(s->ctx = SSL_CTX_new(TLS_client_method()))) {
    if (s) free(s->ca_file);
    free(s);
    fws_set_err(err, errlen, "cannot make a TLS context");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
  if (ca_file ? SSL_CTX_load_verify_locations(s->ctx, ca_file, NULL) != 1
              : SSL_CTX_set_default_verify_paths(s->ctx) != 1) {
    ERR_clear_error();
    SSL_CTX_free(s->ctx);
    free(s->ca_file);
    free(s);
    fws_set_err(err, errlen, ca_file ? "cannot load ca_file %s (PEM certificates expected)" : "cannot load the system's CA store",
                ca_file);
    return NULL;
  }
  s->next = loop->sslctxs;
  loop->sslctxs = s;
  return s->ctx;
}

int fws_tlscli_check_ca(fws_loop *loop, const char *ca_file, char *err, size_t errlen) {
  if (ca_file) {  /* a file we cannot read says so by its name and errno */
    FILE *f = fopen(ca_file, "r");
    if (!f) {
      fws_set_err(err, errlen, "cannot read ca_file %s", ca_file);
      return -1;
    }
    fclose(f);
  }
  return ctx_for(loop, ca_file, err, errlen) ? 0 : -1;
}

void fws_tlscli_free_ctxs(fws_loop *loop) {
  while (loop->sslctxs) {
    fws_sslctx *s = loop->sslctxs;
    loop->sslctxs = s->next;
    SSL_CTX_free(s->ctx);
    free(s->ca_file);
    free(s);
  }
}

fws_tlscli *fws_tlscli_new(fws_loop *loop, const char *host, const char *ca_file, int insecure,
                           char *err, size_t errlen) {
  SSL_CTX *ctx = ctx_for(loop, ca_file, err, errlen);
  fws_tlscli *t;
  if (!ctx) return NULL;
  if (!(t = calloc(1, sizeof *t)) || !(t->ssl = SSL_new(ctx)) || !(t->rb = BIO_new(BIO_s_mem())) ||
      !(t->wb = BIO_new(BIO_s_mem()))) {
    if (t) {
      BIO_free(t->rb);
      SSL_free(t->ssl);
    }
    free(t);
    fws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  SSL_set_bio(t->ssl, t->rb, t->wb);  /* the SSL owns them now */
  SSL_set_connect_state(t->ssl);
  if (insecure) {
    SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
  } else {
    SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
    if (fws_is_numeric_host(host)) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
    else SSL_set1_host(t->ssl, host);
  }
  if (!fws_is_numeric_host(host)) SSL_set_tlsext_host_name(t->ssl, host);
  return t;
}

void fws_tlscli_free(fws_tlscli *t) {
  if (!t) return;
  SSL_free(t->ssl);
  free(t);
}

/* Why the session failed, in words, from what OpenSSL left; the queue is cleared. */
static int failed(fws_tlscli *t, int sslerr) {
  long vr = SSL_get_verify_result(t->ssl);
  unsigned long e = ERR_peek_last_error();
  int r = ERR_GET_REASON(e);
  if (vr != X509_V_OK) {
    t->cert = 1;
    snprintf(t->err, sizeof t->err, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
  } else if (r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
             r == SSL_R_RECORD_LENGTH_MISMATCH || r == SSL_R_HTTP_REQUEST || r == SSL_R_UNEXPECTED_RECORD) {
    snprintf(t->err, sizeof t->err, "TLS handshake failed: the server does not speak TLS (a plain ws:// server?)");
  } else if (e && ERR_reason_error_string(e)) {
    const char *why = ERR_reason_error_string(e);
    if (!strncmp(why, "tlsv1 alert ", 12) || !strncmp(why, "sslv3 alert ", 12))
      snprintf(t->err, sizeof t->err, "TLS handshake failed: the server refused it (alert: %s)", why + 12);
    else
      snprintf(t->err, sizeof t->err, "TLS handshake failed: %s", why);
  } else if (sslerr == SSL_ERROR_ZERO_RETURN || sslerr == SSL_ERROR_SYSCALL) {
    snprintf(t->err, sizeof t->err, t->ready ? "the server ended the TLS session" : "TLS handshake failed: the server closed the connection");
  } else {
    snprintf(t->err, sizeof t->err, "TLS failed");
  }
  ERR_clear_error();
  return -1;
}

int fws_tlscli_start(fws_tlscli *t) {
  int r = SSL_do_handshake(t->ssl), e;
  if (r == 1) {
    t->ready = 1;
    return 0;
  }
  e = SSL_get_error(t->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  return failed(t, e);
}

int fws_tlscli_ready(const fws_tlscli *t) { return t->ready; }

int fws_tlscli_feed(fws_tlscli *t, const unsigned char *in, size_t n,
                    int (*fn)(void *ud, unsigned char *p, size_t n), void *ud) {
  unsigned char buf[16384];
  if (n && BIO_write(t->rb, in, (int)n) != (int)n) {
    snprintf(t->err, sizeof t->err, "out of memory");
    return -1;
  }
  if (!t->ready) {
    int r = SSL_do_handshake(t->ssl), e;
    if (r != 1) {
      e = SSL_get_error(t->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
      return failed(t, e);
    }
    t->ready = 1;
  }
  for (;;) {
    int r = SSL_read(t->ssl, buf, sizeof buf), e;
    if (r > 0) {
      if (fn(ud, buf, (size_t)r)) return 0;
      continue;
    }
    e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    return failed(t, e);
  }
}

int fws_tlscli_write(fws_tlscli *t, const unsigned char *p, size_t n) {
  while (n) {
    int w = SSL_write(t->ssl, p, n > 0x40000000 ? 0x40000000 : (int)n);
    if (w <= 0) return failed(t, SSL_get_error(t->ssl, w));
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

size_t fws_tlscli_read_out(fws_tlscli *t, unsigned char *dst, size_t cap) {
  int r;
  if (!BIO_ctrl_pending(t->wb)) return 0;
  r = BIO_read(t->wb, dst, cap > 0x40000000 ? 0x40000000 : (int)cap);
  return r > 0 ? (size_t)r : 0;
}

const char *fws_tlscli_error(const fws_tlscli *t, int *is_cert) {
  if (is_cert) *is_cert = t->cert;
  return t->err[0] ? t->err : "TLS failed";
}
