/*
** fws_sendq.c: per-connection outgoing messages, each copied once (fws_frame.c frames them),
** counted by number and by bytes, for the connection and for its server's peers together.
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
