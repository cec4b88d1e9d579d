#include "types/fws_expect.h"

const char *fws_expect_string(const fws_ct *t) {
  switch (t->op) {
  case FWS_OP_DATETIME: return "an RFC 3339 date-time (2024-01-31T12:00:00Z)";
  case FWS_OP_DATE: return "a date (YYYY-MM-DD)";
  case FWS_OP_UUID: return "a UUID (8-4-4-4-12 hex digits)";
  case FWS_OP_BASE64: return "base64 text";
  case FWS_OP_BIGINT: return "a decimal integer string";
  default: return NULL;
  }
}

void fws_expect_values(const fws_ct *t, fws_textlist *l) {
  fws_textlist_init(l);
  for (uint32_t i = 0; i < t->u.en.n; i++) fws_textlist_add(l, t->u.en.values[i], 1);
}
