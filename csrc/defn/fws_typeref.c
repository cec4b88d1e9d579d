/* Type references ("optional<list<root.Foo>>", {type, validation}) and validation rules. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defn/fws_loader.h"

static const struct {
  const char *name;
  fws_prim prim;
} primitives[] = {
    {"string", FWS_P_STRING},     {"integer", FWS_P_INTEGER}, {"long", FWS_P_LONG},
    {"uint", FWS_P_UINT},         {"uint64", FWS_P_UINT64},   {"float", FWS_P_FLOAT},
    {"double", FWS_P_DOUBLE},     {"boolean", FWS_P_BOOLEAN}, {"datetime", FWS_P_DATETIME},
    {"date", FWS_P_DATE},         {"uuid", FWS_P_UUID},       {"base64", FWS_P_BASE64},
    {"bigint", FWS_P_BIGINT},
};

static const char *const containers[] = {"list", "set", "optional", "nullable", "map", "literal", NULL};

typedef struct parser {
  fws_loader *ld;
  const fws_file *file;
  const fws_node *node;
  const char *s;      /* the whole text */
  size_t len;
  int failed;
  int one_line;       /* columns inside the text are exact only on one line */
  int depth;          /* of '<' nesting, bounded against hostile input */
} parser;

static fws_pos at(const parser *p, size_t off) {
  fws_pos pos = p->node->pos;
  /* a quoted scalar's text starts one column after its quote */
  if (p->one_line) pos.col += (uint32_t)off + (p->node->plain ? 0 : 1);
  return pos;
}

static void perr(parser *p, size_t off, const char *fmt, const char *arg) {
  if (p->failed) return;
  p->failed = 1;
  fws_ld_error(p->ld, at(p, off), fmt, arg);
}

static fws_type *new_type(parser *p, fws_kind kind, size_t off) {
  fws_type *t = fws_ld_alloc(p->ld, sizeof *t);
  t->kind = kind;
  t->pos = at(p, off);
  t->index = -1;
  return t;
}

static size_t skip_ws(const parser *p, size_t i, size_t end) {
  while (i < end && isspace((unsigned char)p->s[i])) i++;
  return i;
}

static size_t trim_end(const parser *p, size_t start, size_t end) {
  while (end > start && isspace((unsigned char)p->s[end - 1])) end--;
  return end;
}

/* Finds the '>' closing the '<' at open, or the first ',' at depth 0 when want_comma. */
static size_t scan(const parser *p, size_t i, size_t end, int want_comma) {
  int depth = 0, quoted = 0;
  for (; i < end; i++) {
    char c = p->s[i];
    if (quoted) {
      if (c == '\\' && i + 1 < end) i++;
      else if (c == '"') quoted = 0;
      continue;
    }
    if (c == '"') quoted = 1;
    else if (c == '<') depth++;
    else if (c == '>') {
      if (depth == 0) return i;
      depth--;
    } else if (c == ',' && depth == 0 && want_comma) return i;
  }
  return end;
}

static fws_type *parse(parser *p, size_t start, size_t end);

static fws_type *unknown(parser *p, size_t off) {
  return new_type(p, FWS_K_UNKNOWN, off);
}

static fws_type *parse_literal(parser *p, size_t open, size_t close) {
  size_t i = skip_ws(p, open + 1, close), e = trim_end(p, open + 1, close);
  fws_type *t = new_type(p, FWS_K_LITERAL, open - 7);
  if (e - i == 4 && memcmp(p->s + i, "true", 4) == 0) {
    t->u.literal.is_bool = 1;
    t->u.literal.b = 1;
  } else if (e - i == 5 && memcmp(p->s + i, "false", 5) == 0) {
    t->u.literal.is_bool = 1;
  } else if (e - i >= 2 && p->s[i] == '"' && p->s[e - 1] == '"') {
    /* the Fern CLI takes the text between the quotes as it is */
    t->u.literal.s = fws_ld_strndup(p->ld, p->s + i + 1, e - i - 2);
  } else {
    perr(p, i, "a literal must be a quoted string or true/false, e.g. literal<\"%s\">", "value");
    return unknown(p, open);
  }
  return t;
}

static fws_type *parse_at(parser *p, size_t start, size_t end);

static fws_type *parse(parser *p, size_t start, size_t end) {
  if (p->depth >= FWS_MAX_TYPE_NESTING) {
    char msg[80];
    snprintf(msg, sizeof msg, "the type nests more than %d levels deep", FWS_MAX_TYPE_NESTING);
    perr(p, start, "%s", msg);
    return unknown(p, start);
  }
  p->depth++;
  fws_type *t = parse_at(p, start, end);
  p->depth--;
  return t;
}

/* The container a misspelt name was meant to be ("optinal"), or NULL. */
static const char *near_container(const char *s, size_t n) {
  char word[16];
  if (n >= sizeof word) return NULL;
  memcpy(word, s, n);
  word[n] = '\0';
  for (const char *const *c = containers; *c; c++)
    if (fws_is_near(word, *c, NULL)) return *c;
  return NULL;
}

static fws_type *parse_at(parser *p, size_t start, size_t end) {
  start = skip_ws(p, start, end);
  end = trim_end(p, start, end);
  if (start >= end) {
    perr(p, start, "a type is missing here%s", "");
    return unknown(p, start);
  }
  const char *s = p->s + start;
  size_t n = end - start;
  const char *lt = memchr(s, '<', n);
  size_t name_len = lt ? (size_t)(lt - s) : n;
  while (name_len && isspace((unsigned char)s[name_len - 1])) name_len--;

  for (const char *const *c = containers; *c; c++) {
    if (strlen(*c) != name_len || memcmp(s, *c, name_len) != 0) continue;
    char word[16];
    snprintf(word, sizeof word, "%s", *c);
    if (!lt) {
      static const char *const eg[] = {"list<string>", "set<string>", "optional<string>",
                                       "nullable<string>", "map<string, integer>", "literal<\"value\">"};
      char msg[160];
      snprintf(msg, sizeof msg, "'%s' needs a type argument, e.g. %s", word, eg[c - containers]);
      perr(p, start, "%s", msg);
      return unknown(p, start);
    }
    size_t open = (size_t)(lt - p->s);
    size_t close = scan(p, open + 1, end, 0);
    if (close >= end) {
      perr(p, open, "'%s<' is not closed by a matching '>'", word);
      return unknown(p, start);
    }
    if (trim_end(p, close + 1, end) != close + 1) {
      char what[64];
      snprintf(what, sizeof what, "%.*s", (int)(end - close - 1 > 40 ? 40 : end - close - 1), p->s + close + 1);
      perr(p, close + 1, "unexpected '%s' after the closing '>'", what);
      return unknown(p, start);
    }
    if (skip_ws(p, open + 1, close) == close && strcmp(word, "literal") != 0) {
      static const char *const eg[] = {"list<string>", "set<string>", "optional<string>",
                                       "nullable<string>", "map<string, integer>", "literal<\"value\">"};
      char msg[160];
      snprintf(msg, sizeof msg, "'%s<>' needs a type argument, e.g. %s", word, eg[c - containers]);
      perr(p, open + 1, "%s", msg);
      return unknown(p, start);
    }
    if (strcmp(word, "literal") == 0) return parse_literal(p, open, close);
    if (strcmp(word, "map") == 0) {
      size_t comma = scan(p, open + 1, close, 1);
      if (comma >= close) {
        perr(p, open, "'map' needs a key and a value type, e.g. map<string, %s>", "integer");
        return unknown(p, start);
      }
      fws_type *t = new_type(p, FWS_K_MAP, start);
      t->u.map.key = parse(p, open + 1, comma);
      t->u.map.value = parse(p, comma + 1, close);
      return t;
    }
    fws_kind k = strcmp(word, "list") == 0       ? FWS_K_LIST
                 : strcmp(word, "set") == 0      ? FWS_K_SET
                 : strcmp(word, "optional") == 0 ? FWS_K_OPTIONAL
                                                 : FWS_K_NULLABLE;
    fws_type *t = new_type(p, k, start);
    size_t comma = scan(p, open + 1, close, 1);
    if (comma < close) {
      perr(p, comma, "'%s' takes one type argument", word);
      return unknown(p, start);
    }
    t->u.elem = parse(p, open + 1, close);
    return t;
  }
  if (lt) {
    /* Fern reads `optinal<string>` as the name of a type it cannot find: so do we */
    const char *near = near_container(s, name_len);
    char msg[300];
    if (near)
      snprintf(msg, sizeof msg, "unknown type '%.*s' (did you mean '%s%.*s'?)", (int)(n > 100 ? 100 : n), s, near,
               (int)(n - name_len > 90 ? 90 : n - name_len), s + name_len);
    else
      snprintf(msg, sizeof msg, "unknown type '%.*s': only list, set, optional, nullable, map and literal take <...>",
               (int)(n > 100 ? 100 : n), s);
    perr(p, start, "%s", msg);
    return unknown(p, start);
  }
  if (n == 7 && memcmp(s, "unknown", 7) == 0) return new_type(p, FWS_K_UNKNOWN, start);
  for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
    if (strlen(primitives[i].name) == n && memcmp(s, primitives[i].name, n) == 0) {
      fws_type *t = new_type(p, FWS_K_PRIMITIVE, start);
      t->u.prim = primitives[i].prim;
      return t;
    }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!(isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '$')) {
      char bad[2] = {c, 0};
      perr(p, start + i, "unexpected '%s' in a type name", bad);
      return unknown(p, start);
    }
  }
  fws_type *t = new_type(p, FWS_K_REF, start);
  t->u.ref.text = fws_ld_strndup(p->ld, s, n);
  t->u.ref.file = p->file;
  fws_ld_add_ref(p->ld, t);
  return t;
}

fws_type *fws_ld_typeref(fws_loader *ld, const fws_file *file, const fws_node *scalar) {
  parser p = {ld, file, scalar, scalar->str, scalar->len, 0, 0, 0};
  p.one_line = scalar->kind == FWS_NODE_SCALAR && !memchr(scalar->str, '\n', scalar->len);
  if (scalar->kind != FWS_NODE_SCALAR) {
    fws_ld_error(ld, scalar->pos, "a type must be a type name such as string or list<Foo>");
    fws_type *t = fws_ld_alloc(ld, sizeof *t);
    t->kind = FWS_K_UNKNOWN;
    t->pos = scalar->pos;
    t->index = -1;
    return t;
  }
  return parse(&p, 0, scalar->len);
}

/* ---- validation rules ---- */

static int num_of(fws_loader *ld, const fws_node *n, const char *key, double *out) {
  if (!n) return 0;
  if (n->kind == FWS_NODE_SCALAR && (n->stype == FWS_SCALAR_INT || n->stype == FWS_SCALAR_FLOAT)) {
    *out = strtod(n->str, NULL);
    if (n->len > 2 && (n->str[1] == 'x' || n->str[1] == 'o'))
      *out = (double)strtoull(n->str + 2, NULL, n->str[1] == 'x' ? 16 : 8);
    return 1;
  }
  fws_ld_error(ld, n->pos, "validation '%s' must be a number", key);
  return 0;
}

static int count_of(fws_loader *ld, const fws_node *n, const char *key, uint64_t *out) {
  double d;
  if (!num_of(ld, n, key, &d)) return 0;
  if (d < 0 || d != floor(d) || d > 1e18) {
    fws_ld_error(ld, n->pos, "validation '%s' must be a whole number, 0 or more", key);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

const fws_rules *fws_ld_rules(fws_loader *ld, const fws_node *v) {
  if (!v || !fws_ld_expect_map(ld, v, "'validation'")) return NULL;
  static const char *const keys[] = {"minLength", "maxLength", "pattern", "format", "min", "max",
                                     "exclusiveMin", "exclusiveMax", "multipleOf", "minItems",
                                     "maxItems", NULL};
  fws_ld_known_keys(ld, v, "validation", keys);
  fws_rules *r = fws_ld_alloc(ld, sizeof *r);
  r->pos = v->pos;
  r->has_min_length = count_of(ld, fws_node_get(v, "minLength"), "minLength", &r->min_length);
  r->has_max_length = count_of(ld, fws_node_get(v, "maxLength"), "maxLength", &r->max_length);
  r->has_min_items = count_of(ld, fws_node_get(v, "minItems"), "minItems", &r->min_items);
  r->has_max_items = count_of(ld, fws_node_get(v, "maxItems"), "maxItems", &r->max_items);
  r->has_min = num_of(ld, fws_node_get(v, "min"), "min", &r->min);
  r->has_max = num_of(ld, fws_node_get(v, "max"), "max", &r->max);
  r->has_multiple_of = num_of(ld, fws_node_get(v, "multipleOf"), "multipleOf", &r->multiple_of);
  if (r->has_multiple_of && !(r->multiple_of > 0)) {
    fws_ld_error(ld, fws_node_get(v, "multipleOf")->pos, "validation 'multipleOf' must be above 0");
    r->has_multiple_of = 0;
  }
  r->exclusive_min = fws_ld_opt_bool(ld, v, "exclusiveMin", 0);
  r->exclusive_max = fws_ld_opt_bool(ld, v, "exclusiveMax", 0);
  r->pattern = fws_ld_opt_str(ld, v, "pattern");
  r->format = fws_ld_opt_str(ld, v, "format");
  if (r->has_min_length && r->has_max_length && r->min_length > r->max_length)
    fws_ld_error(ld, v->pos, "validation: minLength is above maxLength");
  if (r->has_min && r->has_max && r->min > r->max) fws_ld_error(ld, v->pos, "validation: min is above max");
  return r;
}

static const char *const typeref_keys[] = {"type", "docs", "default", "validation", "availability",
                                           "audiences", "name", "encoding", "access",
                                           NULL};

fws_type *fws_ld_typeref_decl(fws_loader *ld, const fws_file *file, const fws_node *n, const char *what,
                              const char **docs, const fws_node **dflt, const char *const *extra_keys) {
  if (n->kind == FWS_NODE_SCALAR) return fws_ld_typeref(ld, file, n);
  if (n->kind != FWS_NODE_MAP) {
    fws_ld_error(ld, n->pos, "%s must be a type name or a mapping with 'type'", what);
    fws_type *t = fws_ld_alloc(ld, sizeof *t);
    t->kind = FWS_K_UNKNOWN;
    t->pos = n->pos;
    t->index = -1;
    return t;
  }
  if (!extra_keys) fws_ld_known_keys(ld, n, what, typeref_keys);
  const fws_node *tn = fws_node_get(n, "type");
  fws_type *t;
  if (!tn) {
    fws_ld_error(ld, n->pos, "%s needs a 'type'", what);
    t = fws_ld_alloc(ld, sizeof *t);
    t->kind = FWS_K_UNKNOWN;
    t->pos = n->pos;
    t->index = -1;
  } else {
    t = fws_ld_typeref(ld, file, tn);
  }
  const fws_node *v = fws_node_get(n, "validation");
  if (v) {
    /* rules belong to this use of the type: wrap so a shared declaration is not changed */
    fws_type *w = fws_ld_alloc(ld, sizeof *w);
    *w = *t;
    w->rules = fws_ld_rules(ld, v);
    if (t->kind == FWS_K_REF) fws_ld_add_ref(ld, w);
    t = w;
  }
  if (docs) *docs = fws_ld_opt_str(ld, n, "docs");
  if (dflt) *dflt = fws_node_get(n, "default");
  return t;
}
