/*
** fws_lwscb.c: the one libwebsockets protocol callback of every vhost, client and server. Every
** connection is an lws raw socket, so lws tells us of sockets and bytes only: a connect done or
** failed, bytes in, room to write, the socket gone. What they mean is decided in fws_conn.c,
** fws_client.c and fws_server.c.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

static int is_current(fws_conn *c, struct lws *wsi) {
  return c && (c->wsi == wsi || c->in_connect);
}

static int tls_plain(void *ud, unsigned char *p, size_t n) {
  fws_conn *c = ud;
  return fws_conn_on_bytes(c, p, n) < 0 || c->phase == FWS_PH_DONE || c->phase == FWS_PH_NONE;
}

/* A client's ciphertext: through its TLS session, then to the connection as plaintext. */
static int tls_rx(fws_conn *c, struct lws *wsi, unsigned char *in, size_t len) {
  int was_ready = fws_tlscli_ready(c->tls);
  if (fws_tlscli_feed(c->tls, in, len, tls_plain, c) < 0) {
    int cert = 0;
    const char *why = fws_tlscli_error(c->tls, &cert);
    if (!c->fail_msg) {
      c->fail_kind = FWS_ERR_TLS;
      c->fail_msg = strdup(why);
      c->tls_cert = cert != 0;
    }
    if (c->established) fws_conn_fail(c, 1002, FWS_ERR_TLS, NULL, NULL);
    return -1;
  }
  if (!was_ready && fws_tlscli_ready(c->tls) && c->phase == FWS_PH_TLS) fws_client_send_request(c, wsi);
  if (c->phase == FWS_PH_DONE && !c->established) return -1;  /* the handshake ended it */
  /* what the session has to say (handshake messages, tickets) goes now */
  return c->tls && fws_conn_write(c, wsi, NULL, 0) ? -1 : 0;
}

int fws_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len) {
  fws_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
  (void)user;
  switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT:  /* a server's new socket */
      return fws_server_on_adopt(wsi);

    case LWS_CALLBACK_RAW_RX_FILE:  /* a listener (ours, a raw file to lws) has connections */
      return fws_server_on_listen(wsi);

    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:  /* a wss server's SSL_CTX is made */
      fws_server_on_tls_ctx(user);
      return 0;

    case LWS_CALLBACK_RAW_CONNECTED:  /* a client's TCP connect completed */
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      c->loop->after_poll = 1;
      fws_client_on_connected(c, wsi);
      return c->phase == FWS_PH_DONE ? -1 : 0;

    case LWS_CALLBACK_RAW_RX:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      c->loop->after_poll = 1;
      if (c->tls) return tls_rx(c, wsi, in, len);
      if (fws_conn_on_bytes(c, in, len) < 0) return -1;
      return 0;

    case LWS_CALLBACK_RAW_WRITEABLE:
      if (!is_current(c, wsi)) return 0;
      c->loop->activity++;
      c->loop->after_poll = 1;
      if (c->hangup_due) return -1;  /* what we wrote has gone: the socket closes */
      if (c->phase == FWS_PH_WS || c->phase == FWS_PH_DONE) {
        int r = fws_frame_write_due(c, wsi);
        if (r < 0) return -1;
        if (r > 0) lws_callback_on_writable(wsi);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:  /* the TCP connect failed */
      if (is_current(c, wsi) && c->cfg) {
        c->loop->activity++;
        c->got_error = 1;
        fws_client_on_conn_error(c, in ? (const char *)in : NULL);
      }
      return 0;

    case LWS_CALLBACK_RAW_CLOSE:
      if (is_current(c, wsi)) {
        c->loop->activity++;
        if (c->cfg && !c->established && !c->user_closed) fws_client_on_conn_error(c, NULL);
        else fws_conn_on_closed(c);
      }
      return 0;

    case LWS_CALLBACK_WSI_DESTROY:
      if (!c) {
        fws_server_on_listen_gone(wsi);
        return 0;
      }
      lws_set_opaque_user_data(wsi, NULL);
      if (c->in_connect) c->destroyed_in_connect = 1;
      if (c->wsi == wsi) {
        c->wsi = NULL;
        if (c->peer_counted && c->srv) {  /* max_peers counts live sockets */
          c->peer_counted = 0;
          c->srv->npeers--;
        }
        if (c->cfg) fws_client_probe_close(c, 0);
        /* Some lws failure paths end a wsi with no CLOSE or CONNECTION_ERROR callback. */
        if (!c->in_connect && !c->next_addr && !c->redirect_due &&
            (c->state == FWS_CONN_CONNECTING || c->state == FWS_CONN_OPEN || c->state == FWS_CONN_CLOSING)) {
          if (c->user_closed) c->state = FWS_CONN_CLOSED;
          else if (c->cfg) fws_client_ended(c, "connection lost", 0, 1006, NULL, 0, 0);
          else if (c->established) fws_conn_finish(c, "connection lost", 0, 1006, NULL, 0);
          else c->state = FWS_CONN_CLOSED;
        }
        fws_conn_set_alive(c, 0);
        fws_conn_maybe_free(c);
      }
      return 0;

    default:
      return 0;
  }
}
