#include "types/fws_memo.h"


static size_t slot_of(uintptr_t place, const void *type, int flag, size_t mask) {
  uint64_t h = (uint64_t)place * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)type * 0xc2b2ae3d27d4eb4full ^
               (uint64_t)flag;
  h ^= h >> 29;
  return (size_t)h & mask;
}

static int same(const fws_memo_entry *e, uintptr_t place, const void *type, int flag) {
  return e->place == place && e->type == type && e->flag == flag;
}

int fws_memo_has(const fws_memo *m, uintptr_t place, const void *type, int flag) {
  for (size_t i = 0; i < m->nsmall; i++)
    if (same(&m->small[i], place, type, flag)) return 1;
  if (!m->slots) return 0;
  for (size_t at = slot_of(place, type, flag, m->mask);; at = (at + 1) & m->mask) {
    if (!m->slots[at].type) return 0;
    if (same(&m->slots[at], place, type, flag)) return 1;
  }
}

static void put(fws_memo_entry *slots, size_t mask, fws_memo_entry e) {
  size_t at = slot_of(e.place, e.type, e.flag, mask);
  while (slots[at].type) at = (at + 1) & mask;
  slots[at] = e;
}

void fws_memo_add(fws_memo *m, uintptr_t place, const void *type, int flag) {
  fws_memo_entry e = {place, type, flag};
  if (m->nsmall < FWS_MEMO_INLINE) {
    m->small[m->nsmall++] = e;
    return;
  }
  if (!m->slots || (m->n + 1) * 2 > m->mask + 1) {
    /* keep it at most half full */
    size_t size = m->slots ? (m->mask + 1) * 2 : 64;
    fws_memo_entry *slots = fws_tmp_alloc(m->tmp, size * sizeof *slots);
    for (size_t i = 0; m->slots && i <= m->mask; i++)
      if (m->slots[i].type) put(slots, size - 1, m->slots[i]);
    fws_tmp_free(m->tmp, m->slots);
    m->slots = slots;
    m->mask = size - 1;
  }
  put(m->slots, m->mask, e);
  m->n++;
}
