/*
** fws_frame.c: outgoing WebSocket frames (RFC 6455 section 5.2). One WRITEABLE (or a flush
** outside lws_service) builds what is due into the loop's out buffer and writes it at once:
** the answer to a ping, our own ping, a burst of queued messages (whole when small, in frames of
** FWS_FRAG_SIZE when not), then the close frame. A client masks each frame with a fresh key from
** a per-loop pool that getrandom(2) refills 4 KB at a time, not one system call per frame.
**
** Messages leave the queue only once the write took them: a connection that breaks keeps them
** for the next one (or reports them dropped).
*/
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/fws_int.h"

size_t fws_frame_header(unsigned char *h, int opcode, int fin, size_t len, const unsigned char *key) {
  size_t n = 2;
  unsigned char maskbit = key ? 0x80 : 0;
  h[0] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
  if (len < 126) {
    h[1] = (unsigned char)(maskbit | len);
  } else if (len < 65536) {
    h[1] = maskbit | 126;
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    n = 4;
  } else {
    uint64_t l = (uint64_t)len;
    int i;
    h[1] = maskbit | 127;
    for (i = 0; i < 8; i++) h[2 + i] = (unsigned char)(l >> (56 - 8 * i));
    n = 10;
  }
  if (key) {
    memcpy(h + n, key, 4);
    n += 4;
  }
  return n;
}

void fws_frame_mask(unsigned char *dst, const unsigned char *src, size_t len, const unsigned char key[4],
                    unsigned kpos) {
  unsigned char k8b[8];
  uint64_t k8, w;
  size_t i = 0;
  int j;
  for (j = 0; j < 8; j++) k8b[j] = key[(kpos + (unsigned)j) & 3];
  memcpy(&k8, k8b, 8);
  for (; i + 8 <= len; i += 8) {  /* 8 bytes at a time: the key repeats every 4 */
    memcpy(&w, src + i, 8);
    w ^= k8;
    memcpy(dst + i, &w, 8);
  }
  for (; i < len; i++) dst[i] = src[i] ^ key[(kpos + i) & 3];
}

int fws_frame_key(fws_loop *loop, unsigned char key[4]) {
  if (loop->mask_left < 4) {
    ssize_t n;
    do n = getrandom(loop->mask_pool, sizeof loop->mask_pool, 0);
    while (n < 0 && errno == EINTR);
    if (n < 4) return -1;
    loop->mask_left = (size_t)n & ~(size_t)3;
  }
  loop->mask_left -= 4;
  memcpy(key, loop->mask_pool + loop->mask_left, 4);
  return 0;
}

/* Appends one frame to p: the header, then the payload (masked for a client). 0, -1 (no key). */
static int put_frame(fws_conn *c, unsigned char **p, int op, int fin, const unsigned char *src, size_t n) {
  unsigned char key[4];
  int client = c->srv == NULL;
  if (client && fws_frame_key(c->loop, key)) return -1;
  *p += fws_frame_header(*p, op, fin, n, client ? key : NULL);
  if (client) fws_frame_mask(*p, src, n, key, 0);
  else if (n) memcpy(*p, src, n);
  *p += n;
  return 0;
}

int fws_frame_control(fws_conn *c, struct lws *wsi, int op, const unsigned char *src, size_t n) {
  unsigned char buf[LWS_PRE + FWS_FRAME_MAX_HDR + 125], *out = buf + LWS_PRE, *p = out;
  if (n > 125) n = 125;
  if (put_frame(c, &p, op, 1, src, n)) return -1;
  return fws_conn_write(c, wsi, out, (size_t)(p - out));
}

int fws_frame_write_due(fws_conn *c, struct lws *wsi) {
  fws_loop *loop = c->loop;
  unsigned char *out = loop->out + LWS_PRE, *p = out, *end = out + FWS_WRITE_CHUNK + FWS_OUT_SLACK;
  size_t whole = 0;  /* whole messages framed, to take off the queue once written */
  size_t frag = 0;   /* bytes of a fragmented message framed */
  int more = 0;
  if (c->pong_due && !c->close_sent) {
    if (put_frame(c, &p, 0xA, 1, c->pong, c->pong_len)) return -1;
    c->pong_due = 0;
  }
  if (c->ping_due && !c->close_sent) {
    if (put_frame(c, &p, 0x9, 1, (const unsigned char *)"fws", 3)) return -1;
    c->ping_due = 0;
  }
  /* what was queued before a close goes first, the peer's close or a failure too (RFC 6455 5.5.1) */
  if (!c->close_sent && (c->state == FWS_CONN_OPEN || c->state == FWS_CONN_CLOSING)) {
    fws_msg *m = c->q.head;
    while (m) {
      int op = m->binary ? 2 : 1;
      if (c->q.off == 0 && m->len + FWS_FRAME_MAX_HDR <= (size_t)(end - p)) {  /* whole */
        if (put_frame(c, &p, op, 1, m->buf + LWS_PRE, m->len)) return -1;
        whole++;
        m = m->next;
        continue;
      }
      if (whole) break;  /* it goes in the next write */
      /* the head message is too big for one write: its next frame (the out buffer has room for
      ** FWS_FRAG_SIZE and a header past the control frames) */
      frag = m->len - c->q.off;
      if (frag > FWS_FRAG_SIZE) frag = FWS_FRAG_SIZE;
      if (put_frame(c, &p, c->q.off ? 0 : op, c->q.off + frag == m->len, m->buf + LWS_PRE + c->q.off, frag))
        return -1;
      break;
    }
  }
  if (c->close_req && !c->close_sent && ((!c->q.head && !frag) || (whole == c->q.count && !frag))) {
    unsigned char b[125];
    size_t n = 0;
    if (c->close_code) {  /* 0: a close with no code (the peer gave none) */
      b[0] = (unsigned char)(c->close_code >> 8);
      b[1] = (unsigned char)c->close_code;
      n = 2;
      if (c->close_reason_len) {
        memcpy(b + 2, c->close_reason, c->close_reason_len);
        n += c->close_reason_len;
      }
    }
    if (put_frame(c, &p, 0x8, 1, b, n)) return -1;
    c->close_sent = 1;
    /* after a failure, or when answering the peer's close, nothing is waited for */
    if (c->local_code || c->peer_close) c->hangup_due = 1;
  }
  if (p == out) return c->hangup_due;
  if (fws_conn_write(c, wsi, out, (size_t)(p - out))) return -1;
  while (whole--) free(fws_sendq_pop(&c->q));
  if (frag) {
    c->q.off += frag;
    if (c->q.off == c->q.head->len) free(fws_sendq_pop(&c->q));
  }
  more = c->q.head || c->pong_due || c->ping_due ||
         (c->close_req && !c->close_sent) || c->hangup_due;
  return more;
}
