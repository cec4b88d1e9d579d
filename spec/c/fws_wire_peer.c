/*
** fws_wire_peer: fernws's net layer as a plain echo peer, for the protocol conformance suite
** (spec/wire_spec.lua drives it with spec/peers/raw_peer.py). One JSON object per line.
**
**   fws_wire_peer server [MAX_MESSAGE]   prints {"port": N}; echoes every message of every peer
**   fws_wire_peer client URL [MAX]       connects, echoes every message, ends with the connection
**
** Events: {"event":"open"}, {"event":"message","binary":b,"len":n}, {"event":"error",
** "message":...}, {"event":"close","code":c}. It exits after a client's close, or for a server
** after the first peer's close.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fws_net.h"

static int done;

static void json_str(const char *s, size_t n) {
  size_t i;
  putchar('"');
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch < 0x20 || ch >= 0x7f) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

static void on_event(fws_conn *c, const fws_event *ev, void *user) {
  (void)user;
  switch (ev->kind) {
    case FWS_EV_OPEN:
      printf("{\"event\": \"open\"}\n");
      break;
    case FWS_EV_TEXT:
    case FWS_EV_BINARY:
      printf("{\"event\": \"message\", \"binary\": %s, \"len\": %zu}\n", ev->kind == FWS_EV_BINARY ? "true" : "false",
             ev->len);
      fws_conn_send(c, ev->kind == FWS_EV_BINARY, ev->data, ev->len);
      break;
    case FWS_EV_ERROR:
      printf("{\"event\": \"error\", \"message\": ");
      json_str(ev->data, ev->len);
      printf("}\n");
      break;
    case FWS_EV_CLOSE:
      printf("{\"event\": \"close\", \"code\": %d}\n", ev->code);
      done = 1;
      break;
    default:
      break;
  }
  fflush(stdout);
}

static void on_accept(fws_server *srv, fws_conn *peer, const fws_request *req, fws_accept *out, void *user) {
  (void)srv;
  (void)peer;
  (void)req;
  (void)user;
  out->cb = on_event;
}

int main(int argc, char **argv) {
  char err[256];
  fws_loop *loop;
  size_t max = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: fws_wire_peer server [MAX] | client URL [MAX]\n");
    return 2;
  }
  if (!(loop = fws_loop_new(err, sizeof err))) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  if (!strcmp(argv[1], "server")) {
    fws_server_opts o;
    fws_server *srv;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    if (argc > 2) o.max_message_size = (size_t)strtoull(argv[2], NULL, 10);
    if (!(srv = fws_server_listen(loop, &o, on_accept, NULL, err, sizeof err))) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    printf("{\"port\": %d}\n", fws_server_port(srv));
    fflush(stdout);
  } else if (!strcmp(argv[1], "client") && argc > 2) {
    fws_conn_opts o;
    memset(&o, 0, sizeof o);
    o.url = argv[2];
    if (argc > 3) max = (size_t)strtoull(argv[3], NULL, 10);
    o.max_message_size = max;
    if (!fws_conn_connect(loop, &o, on_event, NULL, err, sizeof err)) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    printf("{\"started\": true}\n");
    fflush(stdout);
  } else {
    return 2;
  }
  while (!done) fws_loop_run(loop, 0.05);
  fws_loop_run(loop, 0.2);  /* what the close still has to write */
  fws_loop_free(loop);
  return 0;
}
