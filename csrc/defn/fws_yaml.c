#include "defn/fws_yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A container under construction: children gather in malloc'ed space, then move to the arena. */
typedef struct frame {
  fws_node *node;
  fws_node **items;     /* map: key, value, key, value...; seq: values */
  size_t n, cap;
  const char *anchor;
  size_t nodes_at_start;  /* so an anchor knows the size of what an alias would repeat */
} frame;

typedef struct anchor {
  const char *name;
  fws_node *node;
  size_t size;          /* nodes below, so an alias is charged what it repeats */
} anchor;

typedef struct builder {
  fws_arena *arena;
  fws_diags *diags;
  const char *file;
  frame *stack;
  size_t depth, cap;
  anchor *anchors;
  size_t nanchors, capanchors;
  size_t nodes;
  fws_yaml_limits limits;
  int failed;
} builder;

static fws_pos mark_pos(const builder *b, yaml_mark_t m) {
  fws_pos p = {b->file, (uint32_t)m.line + 1, (uint32_t)m.column + 1};
  return p;
}

/* ---- plain scalar resolution, YAML 1.2 core schema ---- */

static int match_any(const char *s, size_t n, const char *const *words) {
  for (; *words; words++)
    if (strlen(*words) == n && memcmp(*words, s, n) == 0) return 1;
  return 0;
}

static int is_digits(const char *s, size_t n, const char *set) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!strchr(set, s[i])) return 0;
  return 1;
}

static int is_core_float(const char *s, size_t n) {
  static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                         "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL};
  if (match_any(s, n, specials)) return 1;
  size_t i = 0, digits = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) i++;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
  }
  if (digits == 0) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    size_t e = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, e++;
    if (!e) return 0;
  }
  return i == n;
}

static fws_scalar_type resolve_plain(const char *s, size_t n) {
  /* most plain scalars of a definition are names and prose: no null, bool, int or float starts
  ** with a letter other than n N t T f F (0o / 0x and .inf start with 0 and .) */
  if (n && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) && !strchr("nNtTfF", s[0]))
    return FWS_SCALAR_STRING;
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
  if (match_any(s, n, nulls)) return FWS_SCALAR_NULL;
  if (match_any(s, n, bools)) return FWS_SCALAR_BOOL;
  const char *p = s;
  size_t m = n;
  if (m && (*p == '-' || *p == '+')) p++, m--;
  if (is_digits(p, m, "0123456789")) return FWS_SCALAR_INT;
  if (n > 2 && s[0] == '0' && s[1] == 'o' && is_digits(s + 2, n - 2, "01234567")) return FWS_SCALAR_INT;
  if (n > 2 && s[0] == '0' && s[1] == 'x' && is_digits(s + 2, n - 2, "0123456789abcdefABCDEF"))
    return FWS_SCALAR_INT;
  if (is_core_float(s, n)) return FWS_SCALAR_FLOAT;
  return FWS_SCALAR_STRING;
}

/* ---- building ---- */

static void fail(builder *b, fws_pos pos, const char *msg) {
  if (!b->failed) fws_diag_add(b->diags, FWS_ERROR, pos, "%s", msg);
  b->failed = 1;
}

static fws_node *new_node(builder *b, fws_node_kind kind, yaml_mark_t m) {
  if (++b->nodes > b->limits.max_nodes) {
    fail(b, mark_pos(b, m), "the document is too large (node limit reached)");
    return NULL;
  }
  fws_node *n = fws_arena_alloc(b->arena, sizeof *n);
  if (!n) {
    fail(b, mark_pos(b, m), "out of memory");
    return NULL;
  }
  n->kind = kind;
  n->pos = mark_pos(b, m);
  return n;
}

static int frame_push_item(frame *f, fws_node *item) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    fws_node **items = realloc(f->items, cap * sizeof *items);
    if (!items) return -1;
    f->items = items;
    f->cap = cap;
  }
  f->items[f->n++] = item;
  return 0;
}

static void remember_anchor(builder *b, const char *name, fws_node *node, size_t size) {
  if (!name) return;
  if (b->nanchors == b->capanchors) {
    size_t cap = b->capanchors ? b->capanchors * 2 : 8;
    anchor *a = realloc(b->anchors, cap * sizeof *a);
    if (!a) { fail(b, node->pos, "out of memory"); return; }
    b->anchors = a;
    b->capanchors = cap;
  }
  /* a later anchor of the same name hides the earlier one, as YAML says */
  b->anchors[b->nanchors].name = name;
  b->anchors[b->nanchors].node = node;
  b->anchors[b->nanchors].size = size;
  b->nanchors++;
}

typedef struct key_at {
  const fws_node *key;
  size_t index;
} key_at;

static int key_cmp(const void *x, const void *y) {
  const key_at *a = x, *c = y;
  if (a->key->len != c->key->len) return a->key->len < c->key->len ? -1 : 1;
  int r = memcmp(a->key->str, c->key->str, a->key->len);
  if (r) return r;
  /* equal keys: the earlier one first, so the report names the first occurrence */
  return a->index < c->index ? -1 : 1;
}

/* Keys must be scalars and unique; sorting keeps this O(n log n) for hostile input. A key given
** again is reported and dropped, so what is read next sees it once and reports nothing more. */
static void check_keys(builder *b, fws_node *map) {
  for (size_t i = 0; i < map->n; i++)
    if (map->keys[i]->kind != FWS_NODE_SCALAR) {
      /* fatal for the document: every reader of the tree takes a key's str for granted
      ** (fuzz/regressions/fuzz_load/complex-mapping-key.yml) */
      fail(b, map->keys[i]->pos, "a mapping key must be a plain value");
      return;
    }
  if (map->n < 2) return;
  if (map->n <= 16) {
    /* most maps are small: compare pairs, no allocation; only when one repeats, the full pass */
    int dup = 0;
    for (size_t i = 1; i < map->n && !dup; i++)
      for (size_t j = 0; j < i && !dup; j++)
        dup = map->keys[i]->len == map->keys[j]->len &&
              memcmp(map->keys[i]->str, map->keys[j]->str, map->keys[i]->len) == 0;
    if (!dup) return;
  }
  key_at *order = malloc(map->n * sizeof *order);
  unsigned char *drop = calloc(map->n, 1);
  if (!order || !drop) {
    free(order);
    free(drop);
    return;
  }
  for (size_t i = 0; i < map->n; i++) order[i] = (key_at){map->keys[i], i};
  qsort(order, map->n, sizeof *order, key_cmp);
  const fws_node *first = order[0].key;
  for (size_t i = 1; i < map->n; i++) {
    const fws_node *k = order[i].key;
    if (first->len == k->len && memcmp(first->str, k->str, k->len) == 0) {
      fws_diag_add(b->diags, FWS_ERROR, k->pos, "duplicate key '%.*s' (first at line %u)",
                   (int)(k->len > 200 ? 200 : k->len), k->str, (unsigned)first->pos.line);
      drop[order[i].index] = 1;
    } else {
      first = k;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < map->n; i++)
    if (!drop[i]) {
      map->keys[kept] = map->keys[i];
      map->values[kept] = map->values[i];
      kept++;
    }
  map->n = kept;
  free(order);
  free(drop);
}

static int is_merge_key(const fws_node *k) {
  return k->kind == FWS_NODE_SCALAR && k->plain && k->len == 2 && k->str[0] == '<' && k->str[1] == '<';
}

/* `<<: *base` (or a list of them) copies the keys the map does not set itself. */
static int merge_keys(builder *b, frame *f) {
  size_t nmerge = 0;
  for (size_t i = 0; i + 1 < f->n; i += 2)
    if (is_merge_key(f->items[i])) nmerge++;
  if (!nmerge) return 0;
  fws_node **own = f->items;
  size_t nown = f->n;
  f->items = NULL;
  f->n = f->cap = 0;
  for (size_t i = 0; i + 1 < nown; i += 2) {
    if (!is_merge_key(own[i]) && (frame_push_item(f, own[i]) || frame_push_item(f, own[i + 1])))
      goto oom;
  }
  for (size_t i = 0; i + 1 < nown; i += 2) {
    fws_node *v = own[i + 1];
    if (!is_merge_key(own[i])) continue;
    size_t nsrc = v->kind == FWS_NODE_SEQ ? v->n : 1;
    for (size_t s = 0; s < nsrc; s++) {
      fws_node *src = v->kind == FWS_NODE_SEQ ? v->values[s] : v;
      /* reported at the '<<': the node merged may be an alias of one far away */
      if (src->kind != FWS_NODE_MAP) {
        fws_diag_add(b->diags, FWS_ERROR, own[i]->pos, "a merge key '<<' needs a mapping");
        continue;
      }
      if (src->n && f->n / 2 > 10000000 / src->n) {
        fws_diag_add(b->diags, FWS_ERROR, own[i]->pos, "a merge key '<<' merges too much");
        continue;
      }
      for (size_t j = 0; j < src->n; j++) {
        int present = 0;
        for (size_t x = 0; x + 1 < f->n && !present; x += 2)
          present = f->items[x]->len == src->keys[j]->len &&
                    memcmp(f->items[x]->str, src->keys[j]->str, src->keys[j]->len) == 0;
        if (!present && (frame_push_item(f, src->keys[j]) || frame_push_item(f, src->values[j])))
          goto oom;
      }
    }
  }
  free(own);
  return 0;
oom:
  free(own);
  return -1;
}

static void finish_container(builder *b, frame *f) {
  fws_node *n = f->node;
  if (n->kind == FWS_NODE_MAP) {
    if (merge_keys(b, f)) { fail(b, n->pos, "out of memory"); return; }
    n->n = f->n / 2;
    n->keys = fws_arena_alloc(b->arena, (n->n ? n->n : 1) * sizeof *n->keys);
    n->values = fws_arena_alloc(b->arena, (n->n ? n->n : 1) * sizeof *n->values);
    if (!n->keys || !n->values) { fail(b, n->pos, "out of memory"); return; }
    for (size_t i = 0; i < n->n; i++) {
      n->keys[i] = f->items[2 * i];
      n->values[i] = f->items[2 * i + 1];
    }
    check_keys(b, n);
  } else {
    n->n = f->n;
    n->values = fws_arena_alloc(b->arena, (n->n ? n->n : 1) * sizeof *n->values);
    if (!n->values) { fail(b, n->pos, "out of memory"); return; }
    if (n->n) memcpy(n->values, f->items, n->n * sizeof *n->values);
  }
}

/* Attaches a finished node to its parent (or makes it the root). */
static void attach(builder *b, fws_node *node, fws_node **root) {
  if (b->depth == 0) {
    *root = node;
    return;
  }
  if (frame_push_item(&b->stack[b->depth - 1], node)) fail(b, node->pos, "out of memory");
}

static const char *anchor_name(builder *b, const yaml_char_t *a) {
  return a ? fws_arena_strdup(b->arena, (const char *)a) : NULL;
}

/* libyaml 0.2.5 rejects a tab that follows the indentation of a block scalar whose indentation it
** is still detecting ("found a tab character where an indentation space is expected"), which YAML
** and the Fern CLI accept as content. The place of that error, to work around it. */
typedef struct tab_error {
  int found;
  size_t line, col;         /* of the tab, 0-based */
  size_t header_line, header_col; /* of the block scalar's '|' or '>' */
  int indent;               /* libyaml's indentation level there (-1 at the top) */
} tab_error;

/* Byte offset of a 0-based line and column (columns count UTF-8 characters, as libyaml's do). */
static int byte_offset(const char *text, size_t len, size_t line, size_t col, size_t *off) {
  size_t i = 0;
  for (size_t l = 0; l < line && i < len; i++)
    if (text[i] == '\n') l++;
  for (size_t c = 0; c < col && i < len; c++) {
    if (text[i] == '\n') return 0;
    i++;
    while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80) i++;
  }
  if (i >= len) return 0;
  *off = i;
  return 1;
}

/* When the tab is on the block scalar's first line of content, the scalar's indentation is the
** spaces before it: saying so with an indentation indicator (`|2`) makes libyaml read the tab as
** content, as YAML does. Only the header line changes, so every other place stays where it was.
** Returns 1 when the indicator went in (text grows by one byte; room was kept for it). */
static int add_indent_indicator(char *text, size_t *len, const tab_error *te) {
  size_t h, tab;
  if (!byte_offset(text, *len, te->header_line, te->header_col, &h) ||
      !byte_offset(text, *len, te->line, te->col, &tab) || (text[h] != '|' && text[h] != '>'))
    return 0;
  size_t e = h + 1;
  for (; e < *len && text[e] != '\n'; e++)
    if (text[e] >= '1' && text[e] <= '9') return 0; /* already explicit */
  for (size_t i = e; i < tab - te->col; i++)
    if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r') return 0; /* not the first content line */
  long inc = (long)te->col - (te->indent >= 0 ? te->indent : 0);
  if (inc < 1 || inc > 9) return 0;
  memmove(text + h + 2, text + h + 1, *len - h - 1);
  text[h + 1] = (char)('0' + inc);
  (*len)++;
  return 1;
}

/* Otherwise a tab right after the indentation spaces is read as one more space. Returns 1 when
** the tab at line/column is such a tab. */
static int is_indent_tab(const char *text, size_t len, size_t line, size_t col, size_t *off) {
  size_t i = 0;
  for (size_t l = 0; l < line && i < len; i++)
    if (text[i] == '\n') l++;
  if (i + col >= len || text[i + col] != '\t') return 0;
  for (size_t c = 0; c < col; c++)
    if (text[i + c] != ' ') return 0;
  *off = i + col;
  return 1;
}

static fws_pos offset_pos(const char *text, size_t len, size_t offset, const char *file) {
  fws_pos p = {file, 1, 1};
  for (size_t i = 0; i < offset && i < len; i++) {
    if (text[i] == '\n') {
      p.line++;
      p.col = 1;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      p.col++;
    }
  }
  return p;
}

static fws_node *parse_once(const char *text, size_t len, const char *file, fws_arena *arena,
                            fws_diags *diags, const fws_yaml_limits *limits, tab_error *tab) {
  builder b;
  memset(&b, 0, sizeof b);
  b.arena = arena;
  b.diags = diags;
  b.file = file;
  b.limits.max_nodes = limits && limits->max_nodes ? limits->max_nodes : 2000000;
  b.limits.max_depth = limits && limits->max_depth ? limits->max_depth : 200;

  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    fws_pos p = {file, 0, 0};
    fws_diag_add(diags, FWS_ERROR, p, "out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

  fws_node *root = NULL;
  int docs = 0, done = 0;
  while (!done && !b.failed) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      fws_pos p = {file, (uint32_t)parser.problem_mark.line + 1, (uint32_t)parser.problem_mark.column + 1};
      /* the reader (encoding, control characters) reports a byte offset, not a mark */
      if (parser.error == YAML_READER_ERROR) p = offset_pos(text, len, parser.problem_offset, file);
      if (parser.error == YAML_MEMORY_ERROR)
        fail(&b, p, "out of memory");
      else if (tab && parser.problem &&
               strcmp(parser.problem, "found a tab character where an indentation space is expected") == 0) {
        tab->found = 1;
        tab->line = parser.problem_mark.line;
        tab->col = parser.problem_mark.column;
        tab->header_line = parser.context_mark.line;
        tab->header_col = parser.context_mark.column;
        tab->indent = parser.indent;
      } else if (parser.context &&
                 (parser.context_mark.line != parser.problem_mark.line ||
                  parser.context_mark.column != parser.problem_mark.column))
        fws_diag_add(diags, FWS_ERROR, p, "YAML syntax: %s %s (from line %u, column %u)",
                     parser.problem ? parser.problem : "error", parser.context,
                     (unsigned)parser.context_mark.line + 1, (unsigned)parser.context_mark.column + 1);
      else if (parser.context)
        fws_diag_add(diags, FWS_ERROR, p, "YAML syntax: %s %s", parser.problem ? parser.problem : "error",
                     parser.context);
      else
        fws_diag_add(diags, FWS_ERROR, p, "YAML syntax: %s", parser.problem ? parser.problem : "error");
      b.failed = 1;
      break;
    }
    switch (ev.type) {
    case YAML_STREAM_END_EVENT:
      done = 1;
      break;
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1) fail(&b, mark_pos(&b, ev.start_mark), "a definition file holds one YAML document");
      break;
    case YAML_SCALAR_EVENT: {
      fws_node *n = new_node(&b, FWS_NODE_SCALAR, ev.start_mark);
      if (!n) break;
      n->str = fws_arena_strndup(arena, (const char *)ev.data.scalar.value, ev.data.scalar.length);
      n->len = ev.data.scalar.length;
      if (!n->str) { fail(&b, n->pos, "out of memory"); break; }
      int plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      n->plain = plain;
      const char *tag = (const char *)ev.data.scalar.tag;
      if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0) plain = 0;
      n->stype = plain ? resolve_plain(n->str, n->len) : FWS_SCALAR_STRING;
      remember_anchor(&b, anchor_name(&b, ev.data.scalar.anchor), n, 1);
      attach(&b, n, &root);
      break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      int is_map = ev.type == YAML_MAPPING_START_EVENT;
      if (b.depth >= b.limits.max_depth) {
        fail(&b, mark_pos(&b, ev.start_mark), "the document nests too deeply");
        break;
      }
      fws_node *n = new_node(&b, is_map ? FWS_NODE_MAP : FWS_NODE_SEQ, ev.start_mark);
      if (!n) break;
      if (b.depth == b.cap) {
        size_t cap = b.cap ? b.cap * 2 : 16;
        frame *s = realloc(b.stack, cap * sizeof *s);
        if (!s) { fail(&b, n->pos, "out of memory"); break; }
        memset(s + b.cap, 0, (cap - b.cap) * sizeof *s);
        b.stack = s;
        b.cap = cap;
      }
      /* a level's item space is kept for the next container at that level: no malloc each time */
      frame *f = &b.stack[b.depth++];
      fws_node **items = f->items;
      size_t items_cap = f->cap;
      memset(f, 0, sizeof *f);
      f->items = items;
      f->cap = items_cap;
      f->node = n;
      f->anchor = anchor_name(&b, is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor);
      f->nodes_at_start = b.nodes;
      break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
      frame *f = &b.stack[--b.depth];
      fws_node *n = f->node;
      size_t size = b.nodes - f->nodes_at_start + 1;
      finish_container(&b, f);
      remember_anchor(&b, f->anchor, n, size);
      attach(&b, n, &root);
      break;
    }
    case YAML_ALIAS_EVENT: {
      const char *name = (const char *)ev.data.alias.anchor;
      anchor *found = NULL;
      for (size_t i = b.nanchors; i-- > 0;)
        if (strcmp(b.anchors[i].name, name) == 0) { found = &b.anchors[i]; break; }
      if (!found) {
        fail(&b, mark_pos(&b, ev.start_mark), "unknown YAML alias");
        break;
      }
      b.nodes += found->size;
      if (b.nodes > b.limits.max_nodes) {
        fail(&b, mark_pos(&b, ev.start_mark), "the document is too large (aliases expand past the node limit)");
        break;
      }
      attach(&b, found->node, &root);
      break;
    }
    default:
      break;
    }
    yaml_event_delete(&ev);
  }
  for (size_t i = 0; i < b.cap; i++) free(b.stack[i].items);
  free(b.stack);
  free(b.anchors);
  yaml_parser_delete(&parser);
  return b.failed ? NULL : root;
}

fws_node *fws_yaml_parse(const char *text, size_t len, const char *file, fws_arena *arena,
                         fws_diags *diags, const fws_yaml_limits *limits) {
  enum { TRIES = 100 };
  char *copy = NULL;
  fws_node *root = NULL;
  /* each attempt builds in its own arena, so the attempts a tab cut short leave nothing behind */
  fws_arena scratch;
  fws_arena_init(&scratch);
  for (int tries = 0;; tries++) {
    tab_error te = {0};
    root = parse_once(copy ? copy : text, len, file, &scratch, diags, limits, tries == TRIES - 1 ? NULL : &te);
    size_t off;
    if (!te.found) break;
    fws_arena_free(&scratch);
    if (!copy) {
      /* room for an indentation indicator per try */
      if (!(copy = malloc(len + TRIES))) {
        fws_pos p = {file, 0, 0};
        fws_diag_add(diags, FWS_ERROR, p, "out of memory");
        break;
      }
      memcpy(copy, text, len);
    }
    if (add_indent_indicator(copy, &len, &te)) continue;
    if (!is_indent_tab(copy, len, te.line, te.col, &off)) {
      parse_once(copy, len, file, &scratch, diags, limits, NULL); /* report it for real */
      break;
    }
    copy[off] = ' ';
  }
  fws_arena_adopt(arena, &scratch);
  free(copy);
  return root;
}

/* ---- access ---- */

fws_node *fws_node_get(const fws_node *map, const char *key) {
  if (!map || map->kind != FWS_NODE_MAP) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < map->n; i++)
    if (map->keys[i]->len == kl && memcmp(map->keys[i]->str, key, kl) == 0) return map->values[i];
  return NULL;
}

int fws_node_is(const fws_node *n, const char *s) {
  return n && n->kind == FWS_NODE_SCALAR && n->len == strlen(s) && memcmp(n->str, s, n->len) == 0;
}

int fws_scalar_bool(const fws_node *n, int *out) {
  if (!n || n->kind != FWS_NODE_SCALAR || n->stype != FWS_SCALAR_BOOL) return 0;
  *out = n->str[0] == 't' || n->str[0] == 'T';
  return 1;
}

/* ---- JSON ---- */

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap : 256;
    while (c < *len + n + 1) c *= 2;
    char *nb = realloc(*buf, c);
    if (!nb) return -1;
    *buf = nb;
    *cap = c;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
  return 0;
}

static int put_json_string(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (put(buf, len, cap, "\"", 1)) return -1;
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (put(buf, len, cap, s + start, i - start)) return -1;
    char esc[8];
    switch (c) {
    case '"': memcpy(esc, "\\\"", 3); break;
    case '\\': memcpy(esc, "\\\\", 3); break;
    case '\n': memcpy(esc, "\\n", 3); break;
    case '\r': memcpy(esc, "\\r", 3); break;
    case '\t': memcpy(esc, "\\t", 3); break;
    default: snprintf(esc, sizeof esc, "\\u%04x", c); break;
    }
    if (put(buf, len, cap, esc, strlen(esc))) return -1;
    start = i + 1;
  }
  if (put(buf, len, cap, s + start, n - start)) return -1;
  return put(buf, len, cap, "\"", 1);
}

static int put_number(char **buf, size_t *len, size_t *cap, const fws_node *n) {
  char tmp[64];
  if (n->stype == FWS_SCALAR_INT) {
    const char *s = n->str;
    if (n->len > 2 && (s[1] == 'o' || s[1] == 'x')) {
      unsigned long long v = strtoull(s + 2, NULL, s[1] == 'o' ? 8 : 16);
      snprintf(tmp, sizeof tmp, "%llu", v);
      return put(buf, len, cap, tmp, strlen(tmp));
    }
    if (*s == '+') s++;
    /* drop leading zeros: JSON does not allow them */
    int neg = *s == '-';
    if (neg) s++;
    while (*s == '0' && s[1]) s++;
    if (neg && put(buf, len, cap, "-", 1)) return -1;
    return put(buf, len, cap, s, strlen(s));
  }
  double d = strtod(n->str[0] == '+' ? n->str + 1 : n->str, NULL);
  if (!isfinite(d)) return put(buf, len, cap, "null", 4);
  snprintf(tmp, sizeof tmp, "%.17g", d);
  /* the shortest text that reads back the same */
  for (int prec = 1; prec <= 17; prec++) {
    char t2[64];
    snprintf(t2, sizeof t2, "%.*g", prec, d);
    if (strtod(t2, NULL) == d) {
      memcpy(tmp, t2, sizeof t2);
      break;
    }
  }
  if (!strpbrk(tmp, ".eEn")) strcat(tmp, ".0");
  return put(buf, len, cap, tmp, strlen(tmp));
}

int fws_node_to_json(const fws_node *n, char **buf, size_t *len, size_t *cap) {
  if (!n) return put(buf, len, cap, "null", 4);
  switch (n->kind) {
  case FWS_NODE_SCALAR:
    switch (n->stype) {
    case FWS_SCALAR_NULL: return put(buf, len, cap, "null", 4);
    case FWS_SCALAR_BOOL:
      return (n->str[0] == 't' || n->str[0] == 'T') ? put(buf, len, cap, "true", 4) : put(buf, len, cap, "false", 5);
    case FWS_SCALAR_INT:
    case FWS_SCALAR_FLOAT: return put_number(buf, len, cap, n);
    default: return put_json_string(buf, len, cap, n->str, n->len);
    }
  case FWS_NODE_SEQ:
    if (put(buf, len, cap, "[", 1)) return -1;
    for (size_t i = 0; i < n->n; i++) {
      if (i && put(buf, len, cap, ",", 1)) return -1;
      if (fws_node_to_json(n->values[i], buf, len, cap)) return -1;
    }
    return put(buf, len, cap, "]", 1);
  case FWS_NODE_MAP:
    if (put(buf, len, cap, "{", 1)) return -1;
    for (size_t i = 0; i < n->n; i++) {
      if (i && put(buf, len, cap, ",", 1)) return -1;
      if (put_json_string(buf, len, cap, n->keys[i]->str, n->keys[i]->len)) return -1;
      if (put(buf, len, cap, ":", 1)) return -1;
      if (fws_node_to_json(n->values[i], buf, len, cap)) return -1;
    }
    return put(buf, len, cap, "}", 1);
  }
  return -1;
}
