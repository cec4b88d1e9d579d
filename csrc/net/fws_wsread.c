/*
** fws_wsread.c: incoming WebSocket frames (RFC 6455 section 5), read strictly. Any violation
** fails the connection with the close code the protocol asks for (1002; 1007 for text that is
** not UTF-8, checked as it arrives; 1009 past max_message_size, before the payload is read).
**
** The payload is unmasked in place: the caller's buffer is ours to change (lws' rx buffer, or
** the TLS layer's plaintext buffer).
*/
#include <string.h>

#include "net/fws_int.h"

int fws_utf8_step(uint32_t *st, const unsigned char *p, size_t n) {
  unsigned need = *st & 0xff, lo = (*st >> 8) & 0xff, hi = (*st >> 16) & 0xff;
  size_t i = 0;
  while (i < n) {
    unsigned b = p[i];
    if (!need) {
      /* ASCII runs, 8 bytes at a time */
      while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i == n) break;
      b = p[i++];
      if (b < 0x80) continue;
      if (b < 0xC2) return -1;
      if (b < 0xE0) {
        need = 1, lo = 0x80, hi = 0xBF;
      } else if (b < 0xF0) { /* no overlong forms, no surrogates */
        need = 2, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      } else if (b < 0xF5) { /* nothing past U+10FFFF */
        need = 3, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      } else {
        return -1;
      }
      continue;
    }
    if (b < lo || b > hi) return -1;
    i++;
    need--;
    lo = 0x80, hi = 0xBF;
  }
  *st = need | lo << 8 | hi << 16;
  if (!need) *st = 0;
  return 0;
}

/* The codes a peer may send (RFC 6455 7.4, and the IANA registry: 1012-1014). */
int fws_close_code_ok(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static int fail(fws_conn *c, int code, const char *msg) {
  fws_conn_fail(c, code, FWS_ERR_PROTOCOL, msg, code == 1007 ? "invalid UTF-8" : "protocol error");
  return -1;
}

/* The frame header is whole in r->hdr: judge it. 0 fine, -1 failed. */
static int take_header(fws_conn *c, fws_wsread *r) {
  const unsigned char *h = r->hdr;
  unsigned n7 = h[1] & 0x7f;
  uint64_t len = n7;
  r->fin = h[0] >> 7;
  r->op = h[0] & 0x0f;
  r->masked = h[1] >> 7;
  if (h[0] & 0x70) return fail(c, 1002, "protocol error: a frame with reserved bits set (no extension was agreed)");
  if (r->op > 2 && r->op < 8) return fail(c, 1002, "protocol error: a frame with a reserved opcode");
  if (r->op > 10) return fail(c, 1002, "protocol error: a frame with a reserved opcode");
  if (r->masked != (c->srv != NULL))
    return fail(c, 1002, c->srv ? "protocol error: an unmasked frame from a client"
                                : "protocol error: a masked frame from a server");
  if (n7 == 126) {
    len = (uint64_t)h[2] << 8 | h[3];
  } else if (n7 == 127) {
    int i;
    len = 0;
    for (i = 0; i < 8; i++) len = len << 8 | h[2 + i];
    if (len >> 63) return fail(c, 1002, "protocol error: a frame length over 2^63");
  }
  if (r->masked) memcpy(r->key, h + r->hneed - 4, 4);
  r->kpos = 0;
  r->left = len;
  if (r->op >= 8) {
    if (!r->fin) return fail(c, 1002, "protocol error: a fragmented control frame");
    if (len > 125) return fail(c, 1002, "protocol error: a control frame over 125 bytes");
    r->ctln = 0;
    return 0;
  }
  if (r->op == 0) {
    if (!r->msg_op) return fail(c, 1002, "protocol error: a continuation frame with no message under way");
  } else {
    if (r->msg_op) return fail(c, 1002, "protocol error: a new message before the last one ended");
    r->msg_op = r->op;
    r->utf8 = 0;
  }
  /* past the limit: refused before its payload is read */
  if (len > c->max_message || c->rx_len > c->max_message - len) {
    char msg[96];
    snprintf(msg, sizeof msg, "message too big: more than %zu bytes", c->max_message);
    fws_conn_fail(c, 1009, FWS_ERR_LIMIT, msg, "message too big");
    return -1;
  }
  return 0;
}

/* A data frame's payload piece: UTF-8 judged as it comes, then to the connection. */
static int data(fws_conn *c, fws_wsread *r, unsigned char *p, size_t n, int last_piece) {
  int end = last_piece && r->fin;
  if (r->msg_op == 1 && (fws_utf8_step(&r->utf8, p, n) || (end && r->utf8)))
    return fail(c, 1007, "invalid UTF-8 in a text message");
  if (end) r->msg_op = 0;
  if (!n && !end) return 0;
  return fws_conn_on_data(c, p, n, end) ? -1 : 0;
}

static int control(fws_conn *c, fws_wsread *r) {
  if (r->op == 8) {
    if (r->ctln == 1) return fail(c, 1002, "protocol error: a close frame with a 1-byte payload");
    if (r->ctln >= 2) {
      int code = r->ctl[0] << 8 | r->ctl[1];
      uint32_t st = 0;
      if (!fws_close_code_ok(code)) return fail(c, 1002, "protocol error: a close frame with an invalid code");
      if (fws_utf8_step(&st, r->ctl + 2, r->ctln - 2u) || st)
        return fail(c, 1007, "invalid UTF-8 in a close reason");
    }
  }
  return fws_conn_on_control(c, r->op, r->ctl, r->ctln) ? -1 : 0;
}

int fws_wsread_feed(fws_conn *c, unsigned char *p, size_t n) {
  fws_wsread *r = &c->rd;
  while (n) {
    if (r->hneed == 0 || r->hn < r->hneed) { /* the header */
      if (r->hn == 0) r->hneed = 2;
      while (n && r->hn < r->hneed) {
        r->hdr[r->hn++] = *p++;
        n--;
        if (r->hn == 2) {
          unsigned n7 = r->hdr[1] & 0x7f;
          r->hneed = (unsigned char)(2 + (n7 == 126 ? 2 : n7 == 127 ? 8 : 0) + ((r->hdr[1] & 0x80) ? 4 : 0));
        }
      }
      if (r->hn < r->hneed) return 0;
      if (take_header(c, r)) return -1;
      if (r->left == 0) { /* an empty frame is whole at once */
        r->hn = r->hneed = 0;
        if ((r->op >= 8 ? control(c, r) : data(c, r, p, 0, 1))) return -1;
      }
      continue;
    }
    {
      size_t take = r->left < n ? (size_t)r->left : n;
      if (r->masked) {
        fws_frame_mask(p, p, take, r->key, r->kpos);
        r->kpos = (r->kpos + (unsigned)take) & 3;
      }
      r->left -= take;
      if (r->op >= 8) {
        memcpy(r->ctl + r->ctln, p, take);
        r->ctln = (unsigned char)(r->ctln + take);
        p += take;
        n -= take;
        if (!r->left) {
          r->hn = r->hneed = 0;
          if (control(c, r)) return -1;
        }
      } else {
        int last = r->left == 0;
        if (last) r->hn = r->hneed = 0;
        if (data(c, r, p, take, last)) return -1;
        p += take;
        n -= take;
      }
    }
    if (c->phase != FWS_PH_WS) return 0; /* closed meanwhile: nothing more is read */
  }
  return 0;
}
