/*
** fws_tls.c: why a client's TLS handshake failed, in words. lws 4.1.6 reports such a failure as
** "connect SSL err 1: error:00000001:lib(0)::reason(1)" (it formats the SSL_get_error code as an
** OpenSSL error) and logs, then clears, OpenSSL's error queue. So we watch the records ourselves:
** OpenSSL's message callback sees every record header and alert, in both directions.
**
** What we saw is kept in the SSL's ex data as bits, no allocation: bit 0 set once anything was
** seen, bit 1 a received record that is no TLS record, bits 8-15 an alert received (+1),
** bits 16-23 an alert we sent (+1).
*/
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/fws_int.h"

static int ex_index = -1;  /* set once, before any loop runs a TLS client */

static void on_msg(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
                   void *arg) {
  uintptr_t bits;
  const unsigned char *b = buf;
  (void)version;
  (void)arg;
  if (ex_index < 0) return;
  bits = (uintptr_t)SSL_get_ex_data(ssl, ex_index) | 1;
  if (content_type == SSL3_RT_HEADER && !write_p && len >= 3) {
    /* a TLS record starts with a content type 20..24 and major version 3 */
    if (b[0] < 20 || b[0] > 24 || b[1] != 3) bits |= 2;
  } else if (content_type == SSL3_RT_ALERT && len >= 2 && b[0] == 2) { /* fatal */
    if (write_p) bits = (bits & ~((uintptr_t)0xff << 16)) | ((uintptr_t)(b[1] + 1u) << 16);
    else bits = (bits & ~((uintptr_t)0xff << 8)) | ((uintptr_t)(b[1] + 1u) << 8);
  }
  SSL_set_ex_data(ssl, ex_index, (void *)bits);
}

void fws_tls_watch(void *ssl_ctx) {
  if (ex_index < 0) ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  if (ssl_ctx && ex_index >= 0) SSL_CTX_set_msg_callback((SSL_CTX *)ssl_ctx, on_msg);
}

int fws_tls_reason(struct lws *wsi, char *msg, size_t n) {
  SSL *ssl = wsi ? lws_get_ssl(wsi) : NULL;
  uintptr_t bits;
  if (!ssl || ex_index < 0) return 0;
  bits = (uintptr_t)SSL_get_ex_data(ssl, ex_index);
  if (bits & 2) {
    snprintf(msg, n, "TLS handshake failed: the server does not speak TLS (a plain ws:// server?)");
  } else if ((bits >> 8) & 0xff) {
    snprintf(msg, n, "TLS handshake failed: the server refused it (alert: %s)",
             SSL_alert_desc_string_long((int)((bits >> 8) & 0xff) - 1));
  } else if ((bits >> 16) & 0xff) {
    snprintf(msg, n, "TLS handshake failed: %s",
             SSL_alert_desc_string_long((int)((bits >> 16) & 0xff) - 1));
  } else {
    return 0;
  }
  return 1;
}
