/* Compiling the model's types (fws_model.h) into fws_ct nodes built for the codec. */
#include "types/fws_schema.h"

#include <pcre2.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct compiler {
  fws_schema *s;
  fws_api *api;
  jmp_buf oom;
  /* rules wrappers whose inner node was still being filled: copied once everything is done */
  struct pending { fws_ct *node; const fws_ct *inner; } *pending;
  size_t npending, cappending;
  fws_vec objects;      /* every object node, to settle `required` once all nodes are filled */
  int depth;            /* compile() recursion, bounded: a chain of thousands of types is refused */
  int too_deep;
} compiler;

/* Types reach each other through properties, elements and members; compiling follows the chain
** recursively, so a hostile definition (T0.a: T1, T1.a: T2, ...) must not overflow the C stack. */
enum { FWS_MAX_COMPILE_DEPTH = 1000 };

static void *xalloc(compiler *c, size_t n) {
  void *p = fws_arena_alloc(&c->s->arena, n ? n : 1);
  if (!p) longjmp(c->oom, 1);
  return p;
}

static const char *xprintf(compiler *c, const char *fmt, const char *a) {
  char *p = fws_arena_printf(&c->s->arena, fmt, a);
  if (!p) longjmp(c->oom, 1);
  return p;
}

uint32_t fws_hash_bytes(const char *s, size_t len) {
  /* FNV-1a: keys are short property names */
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 16777619u;
  }
  return h;
}

static void hash_build(compiler *c, fws_strhash *h, const char *const *keys, const size_t *lens, uint32_t n) {
  uint32_t size = 4;
  while (size < n * 2 + 2) size <<= 1;
  h->mask = size - 1;
  h->slots = xalloc(c, size * sizeof *h->slots);
  for (uint32_t i = 0; i < size; i++) h->slots[i] = -1;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t at = fws_hash_bytes(keys[i], lens[i]) & h->mask;
    while (h->slots[at] >= 0) at = (at + 1) & h->mask;
    h->slots[at] = (int32_t)i;
  }
}

int32_t fws_strhash_find(const fws_strhash *h, const char *const *keys, const size_t *lens, const char *s,
                         size_t len) {
  if (!h->slots) return -1;
  uint32_t at = fws_hash_bytes(s, len) & h->mask;
  for (;;) {
    int32_t i = h->slots[at];
    if (i < 0) return -1;
    if (lens[i] == len && memcmp(keys[i], s, len) == 0) return i;
    at = (at + 1) & h->mask;
  }
}

int32_t fws_prop_find(const fws_ct *obj, const char *s, size_t len) {
  const fws_strhash *h = &obj->u.obj.hash;
  if (!h->slots) return -1;
  uint32_t at = fws_hash_bytes(s, len) & h->mask;
  for (;;) {
    int32_t i = h->slots[at];
    if (i < 0) return -1;
    const fws_cprop *p = &obj->u.obj.props[i];
    if (p->len == len && memcmp(p->name, s, len) == 0) return i;
    at = (at + 1) & h->mask;
  }
}

static void obj_hash(compiler *c, fws_ct *t) {
  uint32_t n = t->u.obj.n;
  const char **keys = xalloc(c, (n + 1) * sizeof *keys);
  size_t *lens = xalloc(c, (n + 1) * sizeof *lens);
  for (uint32_t i = 0; i < n; i++) {
    keys[i] = t->u.obj.props[i].name;
    lens[i] = t->u.obj.props[i].len;
  }
  hash_build(c, &t->u.obj.hash, keys, lens, n);
}

/* ---- rules ---- */

static const fws_crules *compile_rules(compiler *c, const fws_rules *r, const fws_crules *next) {
  fws_crules *cr = xalloc(c, sizeof *cr);
  cr->r = r;
  cr->next = next;
  if (r->pattern) {
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err,
                                   &off, NULL);
    if (!re) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fws_diag_add(&c->api->diags, FWS_ERROR, r->pos, "validation pattern does not compile: %s (at offset %zu)",
                   (const char *)msg, (size_t)off);
      return next;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: interpreted matching works too */
    if (c->s->nregexes == c->s->capregexes) {
      size_t cap = c->s->capregexes ? c->s->capregexes * 2 : 8;
      void **nr = realloc(c->s->regexes, cap * sizeof *nr);
      if (!nr) {
        pcre2_code_free(re);
        longjmp(c->oom, 1);
      }
      c->s->regexes = nr;
      c->s->capregexes = cap;
    }
    c->s->regexes[c->s->nregexes++] = re;
    cr->re = re;
  }
  return cr;
}

/* ---- types ---- */

static const fws_ct *compile(compiler *c, const fws_type *t);

/* Whether validation written on a type whose target is `t` survives into Fern's IR: only on string,
** integer, long and double written in place (optional/nullable around them too). On float, uint and
** the other primitives, or on a reference to a named type, the IR drops it, so fernws ignores it
** (spec/conformance: FloatMin, UintMin, HalfPercent.1). List and map size rules stay. */
static int rules_kept(const fws_type *t) {
  while (t && (t->kind == FWS_K_OPTIONAL || t->kind == FWS_K_NULLABLE)) t = t->u.elem;
  if (!t || t->kind == FWS_K_REF || t->index >= 0) return 0;
  if (t->kind != FWS_K_PRIMITIVE) return 1;
  return t->u.prim == FWS_P_STRING || t->u.prim == FWS_P_INTEGER || t->u.prim == FWS_P_LONG ||
         t->u.prim == FWS_P_DOUBLE;
}

/* rules_kept, and when the rules go, a warning at them: a definition should not lose a rule quietly */
static int rules_kept_or_warn(compiler *c, const fws_type *t, const fws_rules *r) {
  if (rules_kept(t)) return 1;
  const fws_type *u = t;
  while (u && (u->kind == FWS_K_OPTIONAL || u->kind == FWS_K_NULLABLE)) u = u->u.elem;
  char buf[256];
  fws_diag_add(&c->api->diags, FWS_WARNING, r->pos,
               "validation on %s is dropped by Fern (its IR keeps rules only on string, integer, long and "
               "double written in place): fernws ignores it too",
               u ? fws_type_describe(u, buf, sizeof buf) : "this type");
  return 0;
}

static fws_ct *new_ct(compiler *c, fws_op op, const char *label) {
  fws_ct *n = xalloc(c, sizeof *n);
  n->op = op;
  n->label = label;
  return n;
}

static const char *prim_label(fws_prim p) { return fws_prim_name(p); }

static fws_op prim_op(fws_prim p) {
  switch (p) {
  case FWS_P_STRING: return FWS_OP_STRING;
  case FWS_P_INTEGER: return FWS_OP_INT32;
  case FWS_P_LONG: return FWS_OP_INT64;
  case FWS_P_UINT: return FWS_OP_UINT32;
  case FWS_P_UINT64: return FWS_OP_UINT64;
  case FWS_P_FLOAT: case FWS_P_DOUBLE: return FWS_OP_DOUBLE;
  case FWS_P_BOOLEAN: return FWS_OP_BOOL;
  case FWS_P_DATETIME: return FWS_OP_DATETIME;
  case FWS_P_DATE: return FWS_OP_DATE;
  case FWS_P_UUID: return FWS_OP_UUID;
  case FWS_P_BASE64: return FWS_OP_BASE64;
  case FWS_P_BIGINT: return FWS_OP_BIGINT;
  }
  return FWS_OP_UNKNOWN;
}

static void set_props(compiler *c, fws_ct *n, fws_cprop *props, uint32_t count) {
  if (fws_vec_push(&c->s->arena, &c->objects, n)) longjmp(c->oom, 1);
  n->u.obj.props = props;
  n->u.obj.n = count;
  n->u.obj.nrequired = 0;
  for (uint32_t i = 0; i < count; i++) n->u.obj.nrequired += props[i].required;
  obj_hash(c, n);
}

static void settle_prop(fws_cprop *p) {
  p->literal = p->type->op == FWS_OP_LITERAL_STRING || p->type->op == FWS_OP_LITERAL_BOOL;
  /* unknown includes "nothing"; a literal left out is implied (both as the Fern CLI judges) */
  p->required = p->type->op != FWS_OP_OPTIONAL && p->type->op != FWS_OP_UNKNOWN && !p->literal;
}

static const char *json_key(compiler *c, const char *name, size_t *outlen) {
  size_t n = strlen(name);
  /* at least FWS_JKEY_COPY bytes: the encoder copies short keys that many at once */
  char *k = xalloc(c, n * 6 + 4 > FWS_JKEY_COPY ? n * 6 + 4 : FWS_JKEY_COPY);
  size_t at = 0;
  k[at++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (ch == '"' || ch == '\\') {
      k[at++] = '\\';
      k[at++] = (char)ch;
    } else if (ch < 0x20) {
      at += (size_t)snprintf(k + at, 7, "\\u%04x", ch);
    } else {
      k[at++] = (char)ch;
    }
  }
  k[at++] = '"';
  k[at++] = ':';
  k[at] = '\0';
  *outlen = at;
  return k;
}

static void make_prop(compiler *c, fws_cprop *p, const char *name, const fws_ct *type) {
  p->name = name;
  p->len = strlen(name);
  p->jkey = json_key(c, name, &p->jkeylen);
  p->type = type;
  p->lkey = NULL;
  p->lref = 0;
  settle_prop(p); /* again in settle_objects, for nodes that were not filled yet */
}

static void settle_objects(compiler *c) {
  for (size_t i = 0; i < c->objects.n; i++) {
    fws_ct *n = c->objects.items[i];
    n->u.obj.nrequired = 0;
    for (uint32_t j = 0; j < n->u.obj.n; j++) {
      settle_prop(&n->u.obj.props[j]);
      n->u.obj.nrequired += n->u.obj.props[j].required;
    }
  }
}

static void fill_object(compiler *c, fws_ct *n, const fws_type *t) {
  uint32_t count = (uint32_t)t->u.object.nall;
  fws_cprop *props = xalloc(c, (count + 1) * sizeof *props);
  for (uint32_t i = 0; i < count; i++)
    make_prop(c, &props[i], t->u.object.all[i]->name, compile(c, t->u.object.all[i]->type));
  set_props(c, n, props, count);
  n->u.obj.extra = (uint8_t)t->u.object.extra_properties;
}

static int has_prop(const fws_cprop *props, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(props[i].name, name) == 0) return 1;
  return 0;
}

static void fill_union(compiler *c, fws_ct *n, const fws_type *t) {
  uint32_t nv = (uint32_t)t->u.un.nvariants;
  n->u.un.disc = t->u.un.discriminant;
  n->u.un.disclen = strlen(t->u.un.discriminant);
  n->u.un.n = nv;
  n->u.un.variants = xalloc(c, (nv + 1) * sizeof *n->u.un.variants);
  n->u.un.values = xalloc(c, (nv + 1) * sizeof *n->u.un.values);
  n->u.un.vlens = xalloc(c, (nv + 1) * sizeof *n->u.un.vlens);
  for (uint32_t i = 0; i < nv; i++) {
    const fws_variant *v = &t->u.un.variants[i];
    n->u.un.values[i] = v->value;
    n->u.un.vlens[i] = strlen(v->value);
    const fws_type *vd = v->type ? fws_type_deref(v->type) : NULL;
    uint32_t cap = 1 + (uint32_t)t->u.un.nall_base + 1 + (v->flattened && vd ? (uint32_t)vd->u.object.nall : 0);
    fws_cprop *props = xalloc(c, cap * sizeof *props);
    uint32_t np = 0;
    fws_ct *lit = new_ct(c, FWS_OP_LITERAL_STRING, NULL);
    lit->u.lit.s = v->value;
    lit->u.lit.len = strlen(v->value);
    lit->label = xprintf(c, "\"%s\"", v->value);
    lit->complete = 1;
    make_prop(c, &props[np++], t->u.un.discriminant, lit);
    for (size_t j = 0; j < t->u.un.nall_base; j++)
      if (!has_prop(props, np, t->u.un.all_base[j]->name))
        make_prop(c, &props[np++], t->u.un.all_base[j]->name, compile(c, t->u.un.all_base[j]->type));
    uint8_t extra = 0;
    if (v->type && v->key) {
      if (!has_prop(props, np, v->key)) make_prop(c, &props[np++], v->key, compile(c, v->type));
    } else if (v->type && v->flattened) {
      for (size_t j = 0; j < vd->u.object.nall; j++)
        if (!has_prop(props, np, vd->u.object.all[j]->name))
          make_prop(c, &props[np++], vd->u.object.all[j]->name, compile(c, vd->u.object.all[j]->type));
      extra = (uint8_t)vd->u.object.extra_properties;
    } else if (v->type) {
      if (!has_prop(props, np, "value")) make_prop(c, &props[np++], "value", compile(c, v->type));
    }
    char label[512];
    snprintf(label, sizeof label, "%s (%s \"%s\")", n->label, t->u.un.discriminant, v->value);
    fws_ct *obj = new_ct(c, FWS_OP_OBJECT, xprintf(c, "%s", label));
    obj->variant = v->value;
    set_props(c, obj, props, np);
    obj->u.obj.extra = extra;
    obj->complete = 1;
    n->u.un.variants[i] = obj;
  }
  hash_build(c, &n->u.un.hash, n->u.un.values, n->u.un.vlens, nv);
}

/* ---- dispatch ---- */

/* The string literal a property holds, also under optional/nullable (Hume's tool messages have
** `type: optional<literal<"tool_call">>`): when present as a string it must be that one. */
static const fws_ct *literal_of(const fws_ct *t) {
  while (t->op == FWS_OP_OPTIONAL || t->op == FWS_OP_NULLABLE) t = t->u.elem;
  return t->op == FWS_OP_LITERAL_STRING ? t : NULL;
}

/* The literal values a choice has for property `key`: an object's literal property, or every
** variant of a discriminated union whose discriminant is `key`. */
static uint32_t choice_literals(const fws_ct *t, const char *key, size_t keylen, const char **out, size_t *lens,
                                uint32_t max) {
  if (t->op == FWS_OP_OBJECT) {
    int32_t i = fws_prop_find(t, key, keylen);
    if (i < 0) return 0;
    const fws_ct *lit = literal_of(t->u.obj.props[i].type);
    if (!lit || !max) return 0;
    out[0] = lit->u.lit.s;
    lens[0] = lit->u.lit.len;
    return 1;
  }
  if (t->op == FWS_OP_UNION && t->u.un.disclen == keylen && memcmp(t->u.un.disc, key, keylen) == 0) {
    uint32_t n = t->u.un.n < max ? t->u.un.n : max;
    for (uint32_t i = 0; i < n; i++) {
      out[i] = t->u.un.values[i];
      lens[i] = t->u.un.vlens[i];
    }
    return n;
  }
  return 0;
}

/* literal_first: for a value of the key, the choices that hold it come before those without the
** literal (a channel's messages: they are not ordered as union members are, and an all-optional
** JSON Schema object without the literal fits nearly anything); else all in declaration order. */
static void build_dispatch(compiler *c, fws_dispatch *d, fws_choice *choices, uint32_t n, int literal_first) {
  memset(d, 0, sizeof *d);
  d->choices = choices;
  d->n = n;
  if (n < 2) return;
  /* the property name most choices hold a literal in */
  const char *best = NULL;
  uint32_t best_count = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fws_ct *t = choices[i].type;
    if (!t->complete) continue;
    const char *names[64];
    uint32_t nn = 0;
    if (t->op == FWS_OP_OBJECT) {
      for (uint32_t j = 0; j < t->u.obj.n && nn < 64; j++)
        if (literal_of(t->u.obj.props[j].type)) names[nn++] = t->u.obj.props[j].name;
    } else if (t->op == FWS_OP_UNION) {
      names[nn++] = t->u.un.disc;
    }
    for (uint32_t j = 0; j < nn; j++) {
      uint32_t count = 0;
      for (uint32_t k = 0; k < n; k++) {
        const char *v[1];
        size_t l[1];
        count += choices[k].type->complete && choice_literals(choices[k].type, names[j], strlen(names[j]), v, l, 1);
      }
      if (count > best_count) best = names[j], best_count = count;
    }
  }
  if (!best || best_count < 2) return;
  d->key = best;
  d->keylen = strlen(best);
  /* distinct values, and for each the choices to try in order */
  uint32_t cap = 0;
  for (uint32_t i = 0; i < n; i++) {
    const char *v[1024];
    size_t l[1024];
    cap += choices[i].type->complete ? choice_literals(choices[i].type, d->key, d->keylen, v, l, 1024) : 0;
  }
  d->values = xalloc(c, (cap + 1) * sizeof *d->values);
  d->vlens = xalloc(c, (cap + 1) * sizeof *d->vlens);
  uint8_t *literal = xalloc(c, n + 1);
  for (uint32_t i = 0; i < n; i++) {
    const char *v[1024];
    size_t l[1024];
    uint32_t nv = choices[i].type->complete ? choice_literals(choices[i].type, d->key, d->keylen, v, l, 1024) : 0;
    literal[i] = nv > 0;
    for (uint32_t j = 0; j < nv; j++) {
      int seen = 0;
      for (uint32_t k = 0; k < d->nvalues && !seen; k++) seen = d->vlens[k] == l[j] && memcmp(d->values[k], v[j], l[j]) == 0;
      if (!seen) {
        d->values[d->nvalues] = v[j];
        d->vlens[d->nvalues] = l[j];
        d->nvalues++;
      }
    }
  }
  hash_build(c, &d->vhash, d->values, d->vlens, d->nvalues);
  d->cands = xalloc(c, (d->nvalues + 1) * sizeof *d->cands);
  d->ncands = xalloc(c, (d->nvalues + 1) * sizeof *d->ncands);
  for (uint32_t k = 0; k < d->nvalues; k++) {
    d->cands[k] = xalloc(c, n * sizeof **d->cands);
    for (int pass = 0; pass < (literal_first ? 2 : 1); pass++)
      for (uint32_t i = 0; i < n; i++) {
        if (literal_first && (pass == 0) != (literal[i] != 0)) continue;
        int take = !literal[i];
        if (!take) {
          const char *v[1024];
          size_t l[1024];
          uint32_t nv = choice_literals(choices[i].type, d->key, d->keylen, v, l, 1024);
          for (uint32_t j = 0; j < nv && !take; j++) take = l[j] == d->vlens[k] && memcmp(v[j], d->values[k], l[j]) == 0;
        }
        if (take) d->cands[k][d->ncands[k]++] = i;
      }
  }
  d->fallback = xalloc(c, n * sizeof *d->fallback);
  for (uint32_t i = 0; i < n; i++)
    if (!literal[i]) d->fallback[d->nfallback++] = i;
}

static void fill_uunion(compiler *c, fws_ct *n, const fws_type *t) {
  uint32_t nm = (uint32_t)t->u.uu.nmembers;
  fws_choice *choices = xalloc(c, (nm + 1) * sizeof *choices);
  for (uint32_t i = 0; i < nm; i++) {
    choices[i].type = compile(c, t->u.uu.members[i].type);
    choices[i].tag = (int)i;
    const fws_type *m = t->u.uu.members[i].type;
    while (m->kind == FWS_K_REF && m->u.ref.target) m = m->u.ref.target;
    char buf[256];
    choices[i].variant = m->short_name ? m->short_name : xprintf(c, "%s", fws_type_describe(m, buf, sizeof buf));
    choices[i].name = choices[i].variant;
  }
  n->u.uu.choices = choices;
  n->u.uu.n = nm;
  /* dispatch tables need complete members: built after everything (see finish) */
}

static void fill_enum(compiler *c, fws_ct *n, const fws_type *t) {
  uint32_t nv = (uint32_t)t->u.enumeration.nvalues;
  n->u.en.n = nv;
  n->u.en.values = xalloc(c, (nv + 1) * sizeof *n->u.en.values);
  n->u.en.lens = xalloc(c, (nv + 1) * sizeof *n->u.en.lens);
  for (uint32_t i = 0; i < nv; i++) {
    n->u.en.values[i] = t->u.enumeration.values[i].value;
    n->u.en.lens[i] = strlen(n->u.en.values[i]);
  }
  hash_build(c, &n->u.en.hash, n->u.en.values, n->u.en.lens, nv);
}

/* Fills node n from a type that is not a reference or alias. */
static void fill(compiler *c, fws_ct *n, const fws_type *t) {
  char buf[512];
  switch (t->kind) {
  case FWS_K_PRIMITIVE:
    n->op = prim_op(t->u.prim);
    n->label = prim_label(t->u.prim);
    break;
  case FWS_K_UNKNOWN:
  case FWS_K_REF:
  case FWS_K_ALIAS:
    n->op = FWS_OP_UNKNOWN;
    n->label = "unknown";
    break;
  case FWS_K_LIST:
  case FWS_K_SET:
  case FWS_K_OPTIONAL:
  case FWS_K_NULLABLE:
    n->op = t->kind == FWS_K_LIST ? FWS_OP_LIST : t->kind == FWS_K_SET ? FWS_OP_SET
            : t->kind == FWS_K_OPTIONAL ? FWS_OP_OPTIONAL : FWS_OP_NULLABLE;
    n->label = xprintf(c, "%s", fws_type_describe(t, buf, sizeof buf));
    n->u.elem = compile(c, t->u.elem);
    break;
  case FWS_K_MAP:
    n->op = FWS_OP_MAP;
    n->label = xprintf(c, "%s", fws_type_describe(t, buf, sizeof buf));
    n->u.map.key = compile(c, t->u.map.key);
    n->u.map.value = compile(c, t->u.map.value);
    break;
  case FWS_K_LITERAL:
    if (t->u.literal.is_bool) {
      n->op = FWS_OP_LITERAL_BOOL;
      n->u.lit.b = t->u.literal.b;
      n->label = t->u.literal.b ? "true" : "false";
    } else {
      n->op = FWS_OP_LITERAL_STRING;
      n->u.lit.s = t->u.literal.s;
      n->u.lit.len = strlen(t->u.literal.s);
      n->label = xprintf(c, "\"%s\"", t->u.literal.s);
    }
    break;
  case FWS_K_OBJECT:
    n->op = FWS_OP_OBJECT;
    n->label = t->name ? xprintf(c, "object %s", t->name) : "object";
    fill_object(c, n, t);
    break;
  case FWS_K_ENUM:
    n->op = FWS_OP_ENUM;
    n->label = xprintf(c, "enum %s", t->name);
    fill_enum(c, n, t);
    break;
  case FWS_K_UNION:
    n->op = FWS_OP_UNION;
    n->label = xprintf(c, "union %s", t->name);
    fill_union(c, n, t);
    break;
  case FWS_K_UNDISCRIMINATED_UNION:
    n->op = FWS_OP_UUNION;
    n->label = xprintf(c, "%s", t->name);
    fill_uunion(c, n, t);
    break;
  }
  if (t->short_name) n->variant = t->short_name;
}

static const fws_crules *concat_rules(compiler *c, const fws_crules *a, const fws_crules *b) {
  if (!a) return b;
  fws_crules *head = xalloc(c, sizeof *head);
  *head = *a;
  head->next = concat_rules(c, a->next, b);
  return head;
}

/* Rules on optional<T> or nullable<T> are about the T inside. */
static void push_rules_down(compiler *c, fws_ct *n) {
  while ((n->op == FWS_OP_OPTIONAL || n->op == FWS_OP_NULLABLE) && n->rules && n->u.elem->complete) {
    fws_ct *e = new_ct(c, FWS_OP_UNKNOWN, NULL);
    *e = *n->u.elem;
    e->rules = concat_rules(c, n->rules, e->rules);
    n->u.elem = e;
    n->rules = NULL;
    n = e;
  }
}

/* A node carrying extra rules in front of `inner`'s. */
static const fws_ct *with_rules(compiler *c, fws_ct *node, const fws_ct *inner, const fws_rules *r) {
  if (inner->complete) {
    *node = *inner;
    node->rules = r ? compile_rules(c, r, inner->rules) : inner->rules;
    node->complete = 1;
    push_rules_down(c, node);
  } else {
    node->rules = r ? compile_rules(c, r, NULL) : NULL;
    if (c->npending == c->cappending) {
      size_t cap = c->cappending ? c->cappending * 2 : 8;
      struct pending *np = realloc(c->pending, cap * sizeof *np);
      if (!np) longjmp(c->oom, 1);
      c->pending = np;
      c->cappending = cap;
    }
    c->pending[c->npending].node = node;
    c->pending[c->npending].inner = inner;
    c->npending++;
  }
  return node;
}

static const fws_ct *compile_at(compiler *c, const fws_type *t);

static const fws_ct *compile(compiler *c, const fws_type *t) {
  if (c->depth >= FWS_MAX_COMPILE_DEPTH) {
    if (!c->too_deep && t)
      fws_diag_add(&c->api->diags, FWS_ERROR, t->pos,
                   "types nest more than %d deep here (each refers to the next): fernws refuses this",
                   FWS_MAX_COMPILE_DEPTH);
    c->too_deep = 1;
    fws_ct *n = new_ct(c, FWS_OP_UNKNOWN, "unknown");
    n->complete = 1;
    return n;
  }
  c->depth++;
  const fws_ct *r = compile_at(c, t);
  c->depth--;
  return r;
}

static const fws_ct *compile_at(compiler *c, const fws_type *t) {
  if (!t) {
    fws_ct *n = new_ct(c, FWS_OP_UNKNOWN, "unknown");
    n->complete = 1;
    return n;
  }
  int decl = t->index >= 0 && t->kind != FWS_K_REF;
  if (decl && c->s->decls[t->index]) return c->s->decls[t->index];
  if (t->kind == FWS_K_REF || t->kind == FWS_K_ALIAS) {
    const fws_type *target = t->kind == FWS_K_REF ? t->u.ref.target : t->u.alias.target;
    /* a REF carrying rules is a reference to a named type; an alias's target says what it wraps */
    const fws_rules *r =
        t->rules && rules_kept_or_warn(c, t->kind == FWS_K_REF ? t : target, t->rules) ? t->rules : NULL;
    if (!r) {
      if (target && target->index >= 0 && target->kind != FWS_K_REF) {
        const fws_ct *ct = compile(c, target);
        if (decl) c->s->decls[t->index] = ct;
        return ct;
      }
      /* an alias of an anonymous type (list<Self>, string): its own node, handed out first */
      fws_ct *n = new_ct(c, FWS_OP_UNKNOWN, NULL);
      if (decl) c->s->decls[t->index] = n;
      const fws_type *inner = target;
      while (inner && (inner->kind == FWS_K_REF || inner->kind == FWS_K_ALIAS) && !inner->rules)
        inner = inner->kind == FWS_K_REF ? inner->u.ref.target : inner->u.alias.target;
      if (inner && (inner->kind == FWS_K_REF || inner->kind == FWS_K_ALIAS)) {
        const fws_ct *ct = compile(c, inner);
        with_rules(c, n, ct, NULL);
      } else if (inner) {
        fill(c, n, inner);
        n->complete = 1;
      } else {
        n->label = "unknown";
        n->complete = 1;
      }
      if (decl && t->short_name) n->variant = t->short_name;
      return n;
    }
    fws_ct *n = new_ct(c, FWS_OP_UNKNOWN, NULL);
    if (decl) c->s->decls[t->index] = n;
    const fws_ct *inner = compile(c, target);
    with_rules(c, n, inner, r);
    if (decl && t->short_name) n->variant = t->short_name;
    return n;
  }
  fws_ct *n = new_ct(c, FWS_OP_UNKNOWN, NULL);
  if (decl) c->s->decls[t->index] = n;
  fill(c, n, t);
  n->complete = 1;
  if (t->rules && rules_kept_or_warn(c, t, t->rules)) {
    n->rules = compile_rules(c, t->rules, NULL);
    push_rules_down(c, n);
  }
  return n;
}

/* with_rules(NULL rules) for a plain forward: copy without adding rules */
static void finish_pending(compiler *c) {
  for (int round = 0; round < 64 && c->npending; round++) {
    size_t kept = 0;
    for (size_t i = 0; i < c->npending; i++) {
      struct pending p = c->pending[i];
      if (!p.inner->complete) {
        c->pending[kept++] = p;
        continue;
      }
      const fws_crules *own = p.node->rules;
      const char *variant = p.node->variant;
      *p.node = *p.inner;
      if (own) {
        /* prepend this level's rules to the inner chain */
        fws_crules *copy = xalloc(c, sizeof *copy);
        *copy = *own;
        copy->next = p.inner->rules;
        p.node->rules = copy;
      }
      if (variant) p.node->variant = variant;
      p.node->complete = 1;
      push_rules_down(c, p.node);
    }
    c->npending = kept;
  }
}

static void finish_dispatch(compiler *c) {
  /* every node is complete now: build the undiscriminated unions' dispatch tables */
  for (size_t i = 0; i < c->api->ntypes; i++) {
    fws_ct *n = (fws_ct *)c->s->decls[i];
    if (n && n->op == FWS_OP_UUNION && !n->u.uu.key && n->u.uu.n >= 2 && !n->u.uu.values)
      build_dispatch(c, &n->u.uu, n->u.uu.choices, n->u.uu.n, 0);
  }
}

/* The handshake's parameters are typed too: compiled once, with the messages. */
static const fws_ct **compile_params(compiler *c, const fws_param *ps, size_t n) {
  const fws_ct **out = xalloc(c, (n + 1) * sizeof *out);
  for (size_t i = 0; i < n; i++) out[i] = compile(c, ps[i].type);
  return out;
}

static void compile_channels(compiler *c) {
  fws_api *api = c->api;
  c->s->channels = xalloc(c, (api->nchannels + 1) * sizeof *c->s->channels);
  for (size_t i = 0; i < api->nchannels; i++) {
    const fws_channel *ch = api->channels[i];
    fws_cchannel *cc = &c->s->channels[i];
    cc->nmessages = (uint32_t)ch->nmessages;
    cc->messages = xalloc(c, (ch->nmessages + 1) * sizeof *cc->messages);
    for (size_t j = 0; j < ch->nmessages; j++) {
      cc->messages[j].id = ch->messages[j].id;
      cc->messages[j].origin = ch->messages[j].origin;
      cc->messages[j].type = compile(c, ch->messages[j].body);
    }
    cc->query = compile_params(c, ch->query, ch->nquery);
    cc->path_params = compile_params(c, ch->path_params, ch->npath_params);
    cc->headers = compile_params(c, ch->headers, ch->nheaders);
  }
  c->s->api_headers = compile_params(c, api->headers, api->nheaders);
  c->s->scheme_types = xalloc(c, (api->nschemes + 1) * sizeof *c->s->scheme_types);
  for (size_t i = 0; i < api->nschemes; i++)
    if (api->schemes[i].type) c->s->scheme_types[i] = compile(c, api->schemes[i].type);
}

static void build_channel_dispatch(compiler *c) {
  fws_api *api = c->api;
  for (size_t i = 0; i < api->nchannels; i++) {
    fws_cchannel *cc = &c->s->channels[i];
    for (int origin = 0; origin < 2; origin++) {
      fws_choice *choices = xalloc(c, (cc->nmessages + 1) * sizeof *choices);
      uint32_t n = 0;
      for (uint32_t j = 0; j < cc->nmessages; j++)
        if (cc->messages[j].origin == origin && !api->channels[i]->messages[j].binary) { /* binary: bytes, no JSON */
          choices[n].type = cc->messages[j].type;
          choices[n].tag = (int)j;
          choices[n].variant = cc->messages[j].type->variant;
          choices[n].name = cc->messages[j].id;
          n++;
        }
      build_dispatch(c, origin == FWS_ORIGIN_SERVER ? &cc->server : &cc->client, choices, n, 1);
    }
  }
}

static void free_regexes(fws_schema *s) {
  for (size_t i = 0; i < s->nregexes; i++) pcre2_code_free(s->regexes[i]);
  free(s->regexes);
  s->regexes = NULL;
  s->nregexes = s->capregexes = 0;
}

static int guarded_compile(compiler *c) {
  if (setjmp(c->oom)) return -1;
  fws_schema *s = c->s;
  s->decls = xalloc(c, (c->api->ntypes + 1) * sizeof *s->decls);
  for (size_t i = 0; i < c->api->ntypes; i++) compile(c, c->api->types[i]);
  compile_channels(c);
  finish_pending(c);
  settle_objects(c);
  finish_dispatch(c);
  build_channel_dispatch(c);
  return 0;
}

fws_schema *fws_schema_compile(fws_api *api) {
  fws_schema *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  fws_arena_init(&s->arena);
  s->api = api;
  compiler c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.api = api;
  int rc = guarded_compile(&c);
  free(c.pending);
  if (rc == 0) s->match_data = pcre2_match_data_create(64, NULL);
  if (rc || !s->match_data) {
    fws_schema_free(s);
    return NULL;
  }
  return s;
}

static const fws_ct *guarded_type(compiler *c, const fws_type *t) {
  if (setjmp(c->oom)) return NULL;
  const fws_ct *ct = compile(c, t);
  finish_pending(c);
  settle_objects(c);
  if (ct->op == FWS_OP_UUNION && !ct->u.uu.key && ct->u.uu.n >= 2 && !ct->u.uu.values)
    build_dispatch(c, (fws_dispatch *)&ct->u.uu, ct->u.uu.choices, ct->u.uu.n, 0);
  return ct;
}

const fws_ct *fws_schema_type(fws_schema *s, const fws_type *t) {
  compiler c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.api = (fws_api *)s->api;
  const fws_ct *ct = guarded_type(&c, t);
  free(c.pending);
  return ct;
}

void fws_schema_free(fws_schema *s) {
  if (!s) return;
  free_regexes(s);
  if (s->match_data) pcre2_match_data_free(s->match_data);
  fws_arena_free(&s->arena);
  free(s);
}
