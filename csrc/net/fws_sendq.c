/*
** fws_sendq.c: per-connection outgoing messages. Each message is copied once, with LWS_PRE
** bytes of headroom so lws_write can put the frame header in front of it. One WRITEABLE writes
** a burst of whole messages that we frame ourselves (fws_frame.c), or one FWS_FRAG_SIZE fragment
** of a big one framed by lws: libwebsockets copies whatever the socket does not take, so small
** fragments keep that copy small.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "net/fws_int.h"

fws_msg *fws_msg_new(int binary, const char *data, size_t len) {
  fws_msg *m;
  if (len > SIZE_MAX - sizeof *m - LWS_PRE) return NULL;
  m = malloc(sizeof *m + LWS_PRE + len);
  if (!m) return NULL;
  m->next = NULL;
  m->len = len;
  m->binary = binary != 0;
  if (len) memcpy(m->buf + LWS_PRE, data, len);
  return m;
}

void fws_sendq_push(fws_sendq *q, fws_msg *m) {
  m->next = NULL;
  if (q->tail) q->tail->next = m;
  else q->head = m;
  q->tail = m;
  q->count++;
  q->bytes += m->len;
  if (q->total) *q->total += m->len;
}

fws_msg *fws_sendq_pop(fws_sendq *q) {
  fws_msg *m = q->head;
  if (!m) return NULL;
  q->head = m->next;
  if (!q->head) q->tail = NULL;
  q->count--;
  q->bytes -= m->len;
  if (q->total) *q->total -= m->len;
  q->off = 0;
  m->next = NULL;
  return m;
}

void fws_sendq_clear(fws_sendq *q) {
  fws_msg *m;
  while ((m = fws_sendq_pop(q))) free(m);
}

int fws_sendq_write(fws_conn *c, struct lws *wsi) {
  fws_sendq *q = &c->q;
  fws_msg *m = q->head;
  int proto, n;
  if (!m) return 0;
  proto = m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
  if (q->off == 0 && m->len <= FWS_FRAG_SIZE) {
    /* lws masks a client's payload where it lies: a client writes a copy, so the message stays
    ** whole in the queue until lws took it (a failed write keeps or reports it) */
    unsigned char *p = m->buf + LWS_PRE;
    if (!c->srv) {
      memcpy(c->loop->frag + LWS_PRE, p, m->len);
      p = c->loop->frag + LWS_PRE;
    }
    n = lws_write(wsi, p, m->len, (enum lws_write_protocol)proto);
    if (n < 0) return -1;
    free(fws_sendq_pop(q));
  } else {
    /* Fragments go through the loop's scratch buffer: writing in place would let the frame
    ** header and the client mask spoil bytes we must resend if the connection breaks. */
    size_t chunk = m->len - q->off;
    int start = q->off == 0, end;
    unsigned char *frag = c->loop->frag;
    if (chunk > FWS_FRAG_SIZE) chunk = FWS_FRAG_SIZE;
    end = q->off + chunk == m->len;
    memcpy(frag + LWS_PRE, m->buf + LWS_PRE + q->off, chunk);
    n = lws_write(wsi, frag + LWS_PRE, chunk,
                  (enum lws_write_protocol)lws_write_ws_flags(proto, start, end));
    if (n < 0) return -1;
    if (end) free(fws_sendq_pop(q));
    else q->off += chunk;
  }
  return q->head != NULL;
}

int fws_sendq_write_burst(fws_conn *c, struct lws *wsi) {
  size_t sent = 0;
  int r, burst = 0;
  r = fws_frame_burst(c, wsi);
  if (r != 2) return r;
  /* lws frames it: a fragmented message, or no own framing possible. Several small whole
  ** messages still go per WRITEABLE (each saves a service pass); stop at the first write the
  ** socket did not take whole (lws keeps the rest and must flush it first), after
  ** FWS_BURST_BYTES, or at a fragmented message. */
  do {
    size_t len = c->q.head->len;
    int whole = c->q.off == 0 && len <= FWS_FRAG_SIZE;
    r = fws_sendq_write(c, wsi);
    if (r < 0) return -1;
    sent += len;
    if (!whole || lws_partial_buffered(wsi)) break;
  } while (r > 0 && ++burst < FWS_BURST_MSGS && sent < FWS_BURST_BYTES &&
           c->q.head->len <= FWS_FRAG_SIZE);
  return r;
}
