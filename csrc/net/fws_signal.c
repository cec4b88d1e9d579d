/*
** fws_signal.c: Ctrl-C for a loop that blocks in fws_loop_run. The handler only sets a flag and
** wakes the service (lws_cancel_service writes to lws' own wake pipe, which a poll that has not
** started yet also sees), so no lws or Lua state is touched from the signal. fws_loop_run ends
** when the flag is set; the caller takes it and decides what an interrupt means.
*/
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>

#include "net/fws_int.h"

static volatile sig_atomic_t pending;
static struct lws_context *volatile wake;
static struct sigaction previous;
static int installed;

static void on_sigint(int sig) {
  (void)sig;
  pending = 1;
  if (wake) lws_cancel_service(wake);
}

int fws_sigint_catch(fws_loop *loop) {
  struct sigaction sa;
  if (installed || !loop) return 0;
  if (sigaction(SIGINT, NULL, &previous) != 0) return -1;
  if (previous.sa_handler == SIG_IGN) return 0;  /* a background job: Ctrl-C is not ours */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  wake = loop->ctx;
  if (sigaction(SIGINT, &sa, NULL) != 0) {
    wake = NULL;
    return -1;
  }
  installed = 1;
  return 0;
}

void fws_sigint_release(void) {
  if (!installed) return;
  sigaction(SIGINT, &previous, NULL);
  wake = NULL;
  installed = 0;
}

int fws_sigint_pending(void) { return pending != 0; }

int fws_sigint_take(void) {
  int was = pending != 0;
  pending = 0;
  return was;
}
