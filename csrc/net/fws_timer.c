/*
** fws_timer.c: one-shot timers on lws_sul. The sul fires inside lws_service, so it only queues
** an event; the user callback runs when the loop delivers events.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "net/fws_int.h"

static void unlink_timer(fws_timer *t) {
  fws_loop *loop = t->loop;
  if (t->prev) t->prev->next = t->next;
  else loop->timers = t->next;
  if (t->next) t->next->prev = t->prev;
  loop->ntimers--;
}

static void timer_fired(lws_sorted_usec_list_t *sul) {
  fws_timer *t = lws_container_of(sul, fws_timer, sul);
  fws_loop *loop = t->loop;
  fws_qev *e = calloc(1, sizeof *e);
  if (!e) {  /* cannot queue: run it on the next pass instead of losing it */
    lws_sul_schedule(loop->ctx, 0, &t->sul, timer_fired, 1000);
    return;
  }
  e->timer = t;
  t->queued = 1;
  if (loop->evtail) loop->evtail->next = e;
  else loop->evhead = e;
  loop->evtail = e;
  loop->activity++;
  fws_loop_wake(loop);
}

fws_timer *fws_timer_start(fws_loop *loop, double seconds, fws_timer_cb cb, void *user) {
  fws_timer *t;
  if (!loop || !cb || loop->freeing) return NULL;
  t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->loop = loop;
  t->cb = cb;
  t->user = user;
  t->next = loop->timers;
  if (t->next) t->next->prev = t;
  loop->timers = t;
  loop->ntimers++;
  if (seconds < 0) seconds = 0;
  lws_sul_schedule(loop->ctx, 0, &t->sul, timer_fired, (lws_usec_t)(seconds * 1e6));
  fws_loop_kick(loop);  /* a host waiting on the descriptor asks timeout() again */
  return t;
}

void fws_timer_cancel(fws_timer *t) {
  if (!t || t->cancelled) return;
  if (t->queued) {  /* the queued event frees it without calling back */
    t->cancelled = 1;
    unlink_timer(t);
    return;
  }
  lws_sul_cancel(&t->sul);
  unlink_timer(t);
  free(t);
}

void fws_timer_deliver(fws_timer *t) {
  if (t->cancelled) {
    free(t);
    return;
  }
  unlink_timer(t);
  t->cancelled = 1;  /* a cancel from inside its own callback is a no-op */
  t->cb(t, t->user);
  free(t);
}

void fws_timer_free_all(fws_loop *loop) {
  while (loop->timers) {
    fws_timer *t = loop->timers;
    unlink_timer(t);
    if (t->queued) {
      t->cancelled = 1;  /* the event list frees it */
    } else {
      lws_sul_cancel(&t->sul);
      free(t);
    }
  }
}
