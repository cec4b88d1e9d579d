/*
** fuzz_wsread: the frame reader (csrc/net/fws_wsread.c) and what it drives in fws_conn.c (data
** assembly, control frames, the close, failing a connection), fed arbitrary bytes. The first byte
** chooses the side (bit 0: a server's peer, which wants masked frames; else a client) and how
** the rest is cut into reads (bits 1-7: bytes per read, 1 to 128), so frames split anywhere. No
** socket: the conn has no wsi, events are delivered by the loop to nobody. Checks that a server's
** byte counts come back to zero once the connection is gone.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

static fws_loop *loop;
static fws_server srv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  unsigned char *buf;
  size_t off, chunk;
  fws_conn *c;
  if (!loop) {
    if (!(loop = fws_loop_new(err, sizeof err))) {
      fprintf(stderr, "fuzz: %s\n", err);
      abort();
    }
    srv.loop = loop;
    srv.assembly_total = 1u << 18;
    srv.queue_total = 1u << 20;
  }
  if (size < 1) return 0;
  if (!(c = fws_conn_alloc(loop))) return 0;
  c->state = FWS_CONN_OPEN;
  c->phase = FWS_PH_WS;
  c->established = 1;
  c->max_message = 1u << 16;
  c->queue_bytes = 1u << 16;
  c->queue_limit = 64;
  if (data[0] & 1) {
    c->srv = &srv;
    c->q.total = &srv.queued;
  }
  chunk = (size_t)(data[0] >> 1) + 1;
  buf = malloc(size);  /* the reader unmasks in place */
  if (!buf) abort();
  memcpy(buf, data, size);
  for (off = 1; off < size && c->phase == FWS_PH_WS; off += chunk) {
    size_t n = size - off < chunk ? size - off : chunk;
    fws_wsread_feed(c, buf + off, n);
  }
  /* what the frames asked to send: framed and queued by the flush, written nowhere (no wsi) */
  fws_loop_poll(loop, 0);
  free(buf);
  c->released = 1;
  c->user_closed = 1;
  fws_conn_rx_reset(c);
  fws_sendq_clear(&c->q);
  fws_server_unlink_peer(c);
  fws_conn_maybe_free(c);
  if (srv.rx_total || srv.queued) {
    fprintf(stderr, "fuzz: a server's byte counts did not come back to zero (%zu, %zu)\n", srv.rx_total, srv.queued);
    abort();
  }
  return 0;
}
