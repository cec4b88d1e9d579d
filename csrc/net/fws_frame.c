/*
** fws_frame.c: whole WebSocket data frames built here and written with LWS_WRITE_RAW.
**
** Why: libwebsockets 4.1.6 reads 4 bytes from /dev/urandom (one read() system call) for the mask
** of every frame a client writes, and every lws_write() is a send() of its own. Framing whole
** messages ourselves puts a burst of queued messages into one send(), and a client takes its
** masks from a per-loop pool that getrandom(2) refills 4 KB at a time (as Node's ws does).
**
** Why it is safe with lws 4.1.6 (lib/roles/ws/ops-ws.c, lib/core-net/output.c): LWS_WRITE_RAW
** skips lws' ws framing and goes to lws_issue_raw, which sends what the socket takes and keeps
** the rest in buflist_out; lws flushes that before any later write and before the next user
** WRITEABLE, so frames stay whole and in order, also around the control frames lws writes itself
** (pong, close). lws' framing keeps no state across whole frames (inside_frame only covers a frame
** it framed that is partly written, and we never start one while lws has a frame half written:
** only whole messages come here, never while a fragmented one is under way), at a WRITEABLE or
** from fws_conn_flush outside lws_service when lws holds no unsent bytes (lws_issue_raw is the
** same call there: what the socket does not take goes to buflist_out and lws asks for POLLOUT).
** No extension is ever negotiated (no vhost lists one), so frames need no deflate. A ws-over-h2
** stream would need h2 framing: only a connection that is its own network connection comes here.
*/
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/fws_int.h"

size_t fws_frame_header(unsigned char *h, int binary, size_t len, const unsigned char *key) {
  size_t n = 2;
  unsigned char maskbit = key ? 0x80 : 0;
  h[0] = (unsigned char)(0x80 | (binary ? 0x2 : 0x1));  /* FIN, text or binary */
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

void fws_frame_mask_copy(unsigned char *dst, const unsigned char *src, size_t len,
                         const unsigned char key[4]) {
  unsigned char k8b[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
  uint64_t k8, w;
  size_t i = 0;
  memcpy(&k8, k8b, 8);
  for (; i + 8 <= len; i += 8) {  /* 8 bytes at a time: the key repeats every 4 */
    memcpy(&w, src + i, 8);
    w ^= k8;
    memcpy(dst + i, &w, 8);
  }
  for (; i < len; i++) dst[i] = src[i] ^ key[i & 3];
}

int fws_frame_key(fws_loop *loop, unsigned char key[4]) {
  if (loop->mask_left < 4) {
    ssize_t n;
    do n = getrandom(loop->mask_pool, sizeof loop->mask_pool, 0);
    while (n < 0 && errno == EINTR);
    if (n < 4) return -1;  /* no getrandom: the caller lets lws frame (and mask) instead */
    loop->mask_left = (size_t)n & ~(size_t)3;
  }
  loop->mask_left -= 4;
  memcpy(key, loop->mask_pool + loop->mask_left, 4);
  return 0;
}

int fws_frame_fits(const fws_msg *m) { return m->len <= FWS_FRAG_SIZE - FWS_FRAME_MAX_HDR; }

int fws_frame_burst(fws_conn *c, struct lws *wsi) {
  unsigned char *out = c->loop->frag + LWS_PRE, *p = out;
  int client = c->srv == NULL, n = 0;
  fws_msg *m;
  if (c->q.off || !c->q.head || !fws_frame_fits(c->q.head) || lws_get_network_wsi(wsi) != wsi)
    return 2;
  /* The first message goes whatever its size (a big one alone: lws buffers what one send() does
  ** not take, as it would have with its own framing); more while they fit in one send(). */
  for (m = c->q.head; m && n < FWS_FRAME_BURST_MSGS; m = m->next) {
    unsigned char key[4];
    const unsigned char *src = m->buf + LWS_PRE;
    size_t used = (size_t)(p - out);
    if (n && (!fws_frame_fits(m) || used + FWS_FRAME_MAX_HDR + m->len > FWS_FRAME_BURST_BYTES))
      break;
    if (client && fws_frame_key(c->loop, key)) {
      if (!n) return 2;
      break;
    }
    p += fws_frame_header(p, m->binary, m->len, client ? key : NULL);
    if (client) fws_frame_mask_copy(p, src, m->len, key);
    else if (m->len) memcpy(p, src, m->len);
    p += m->len;
    n++;
  }
  /* the messages leave the queue once lws has taken their bytes: a failed write keeps them for
  ** the next connection or reports them dropped (fws_conn_drop_queue) */
  if (lws_write(wsi, out, (size_t)(p - out), LWS_WRITE_RAW) < 0) return -1;
  while (n--) free(fws_sendq_pop(&c->q));
  return c->q.head != NULL;
}
