/* JSON Schema (as AsyncAPI 2.6 and 3.0 use it) -> the types of the model. What the codec cannot
** enforce is a warning at the keyword, never silence; annotations are read or skipped quietly. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defn/fws_asyncapi.h"

enum { MAX_SCHEMA_NESTING = 64 };

typedef enum kw_class { KW_HANDLED, KW_ANNOTATION, KW_UNENFORCED } kw_class;

static const struct {
  const char *name;
  kw_class cls;
} keywords[] = {
    {"type", KW_HANDLED}, {"properties", KW_HANDLED}, {"required", KW_HANDLED},
    {"additionalProperties", KW_HANDLED}, {"items", KW_HANDLED}, {"enum", KW_HANDLED}, {"const", KW_HANDLED},
    {"allOf", KW_HANDLED}, {"oneOf", KW_HANDLED}, {"anyOf", KW_HANDLED}, {"minLength", KW_HANDLED},
    {"maxLength", KW_HANDLED}, {"pattern", KW_HANDLED}, {"format", KW_HANDLED}, {"minimum", KW_HANDLED},
    {"maximum", KW_HANDLED}, {"exclusiveMinimum", KW_HANDLED}, {"exclusiveMaximum", KW_HANDLED},
    {"multipleOf", KW_HANDLED}, {"minItems", KW_HANDLED}, {"maxItems", KW_HANDLED}, {"uniqueItems", KW_HANDLED},
    {"nullable", KW_HANDLED}, {"discriminator", KW_HANDLED}, {"$ref", KW_HANDLED}, {"schema", KW_HANDLED},
    {"title", KW_ANNOTATION}, {"description", KW_ANNOTATION}, {"default", KW_ANNOTATION},
    {"examples", KW_ANNOTATION}, {"example", KW_ANNOTATION}, {"deprecated", KW_ANNOTATION},
    {"readOnly", KW_ANNOTATION}, {"writeOnly", KW_ANNOTATION}, {"$comment", KW_ANNOTATION},
    {"$id", KW_ANNOTATION}, {"$schema", KW_ANNOTATION}, {"externalDocs", KW_ANNOTATION},
    {"summary", KW_ANNOTATION}, {"definitions", KW_ANNOTATION}, {"$defs", KW_ANNOTATION},
    {"not", KW_UNENFORCED}, {"if", KW_UNENFORCED}, {"then", KW_UNENFORCED}, {"else", KW_UNENFORCED},
    {"dependencies", KW_UNENFORCED}, {"dependentRequired", KW_UNENFORCED}, {"dependentSchemas", KW_UNENFORCED},
    {"propertyNames", KW_UNENFORCED}, {"patternProperties", KW_UNENFORCED}, {"minProperties", KW_UNENFORCED},
    {"maxProperties", KW_UNENFORCED}, {"contains", KW_UNENFORCED}, {"minContains", KW_UNENFORCED},
    {"maxContains", KW_UNENFORCED}, {"additionalItems", KW_UNENFORCED},
    {"unevaluatedProperties", KW_UNENFORCED}, {"unevaluatedItems", KW_UNENFORCED},
    {"contentEncoding", KW_UNENFORCED}, {"contentMediaType", KW_UNENFORCED},
};

/* Fern's extensions on a schema that change what it means. */
static const char *const fern_schema_ext[] = {"x-fern-type", "x-fern-type-name", "x-fern-sdk-group-name",
                                              "x-fern-ignore", "x-fern-enum", NULL};

static int kw_lookup(const char *k, kw_class *cls) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strcmp(keywords[i].name, k) == 0) {
      *cls = keywords[i].cls;
      return 1;
    }
  return 0;
}

/* Every key of a schema: unenforced keywords and unknown keys are warnings at the key. */
static void check_keywords(fws_aa *a, const fws_node *n) {
  for (size_t i = 0; i < n->n; i++) {
    const fws_node *k = n->keys[i];
    kw_class cls;
    if (kw_lookup(k->str, &cls)) {
      if (cls == KW_UNENFORCED)
        fws_ld_warn(a->ld, k->pos, "JSON Schema '%s' is not enforced by the codec (ignored)", k->str);
      continue;
    }
    if (strncmp(k->str, "x-fern-", 7) == 0) {
      int known = 0;
      for (const char *const *p = fern_schema_ext; *p && !known; p++) known = strcmp(k->str, *p) == 0;
      if (!known) fws_ld_warn(a->ld, k->pos, "'%s' on a schema is not used by fernws (ignored)", k->str);
      continue;
    }
    if (strncmp(k->str, "x-", 2) == 0) continue; /* vendor extensions */
    fws_ld_warn(a->ld, k->pos, "unknown key '%s' in a schema (ignored)", k->str);
  }
}

/* ---- types ---- */

static fws_type *new_type(fws_aa *a, fws_kind kind, fws_pos pos) {
  fws_type *t = fws_ld_alloc(a->ld, sizeof *t);
  t->kind = kind;
  t->pos = pos;
  t->index = -1;
  return t;
}

static fws_type *wrap(fws_aa *a, fws_kind kind, fws_type *inner) {
  fws_type *t = new_type(a, kind, inner->pos);
  t->u.elem = inner;
  return t;
}

static fws_type *prim(fws_aa *a, fws_prim p, fws_pos pos) {
  fws_type *t = new_type(a, FWS_K_PRIMITIVE, pos);
  t->u.prim = p;
  return t;
}

static fws_type *ref_to(fws_aa *a, fws_type *decl, fws_pos pos) {
  fws_type *t = new_type(a, FWS_K_REF, pos);
  t->u.ref.text = decl->short_name;
  t->u.ref.target = decl;
  t->u.ref.file = a->main->file;
  return t;
}

/* An object's property list as the resolver leaves it (it flattens only declarations; these have
** no extends, so every property is its own). Declarations get it again from the resolver. */
static void finish_object(fws_aa *a, fws_type *t) {
  t->u.object.all = fws_ld_alloc(a->ld, (t->u.object.nprops + 1) * sizeof *t->u.object.all);
  for (size_t i = 0; i < t->u.object.nprops; i++) {
    t->u.object.props[i].owner = t;
    t->u.object.all[i] = &t->u.object.props[i];
  }
  t->u.object.nall = t->u.object.nprops;
}

/* Through references and aliases to what a type is (the declaration may still be being built). */
const fws_type *fws_aa_underlying(const fws_type *t) {
  for (int i = 0; t && i < 100; i++) {
    if (t->kind == FWS_K_REF) t = t->u.ref.target;
    else if (t->kind == FWS_K_ALIAS) t = t->u.alias.target;
    else return t;
  }
  return NULL;
}

static char *pascal(fws_aa *a, const char *prefix, const char *word) {
  size_t pl = prefix ? strlen(prefix) : 0, wl = strlen(word);
  char *out = fws_ld_alloc(a->ld, pl + wl + 1);
  memcpy(out, prefix, pl);
  size_t o = pl;
  int up = 1;
  for (size_t i = 0; i < wl; i++) {
    unsigned char c = (unsigned char)word[i];
    if (!isalnum(c)) {
      up = 1;
      continue;
    }
    out[o++] = (char)(up ? toupper(c) : c);
    up = 0;
  }
  out[o] = '\0';
  return out;
}

const char *fws_aa_unique_name(fws_aa *a, const char *want) {
  if (!fws_aa_map_get(&a->names, want)) {
    fws_aa_map_put(a, &a->names, want, (void *)want);
    return want;
  }
  for (unsigned n = 0;; n++) {
    char *name = fws_arena_printf(&a->ld->api->arena, "%s_%u", want, n);
    if (!name) longjmp(a->ld->oom, 1);
    if (!fws_aa_map_get(&a->names, name)) {
      fws_aa_map_put(a, &a->names, name, name);
      return name;
    }
  }
}

static int is_string_scalar(const fws_node *n) {
  return n && n->kind == FWS_NODE_SCALAR && (!n->plain || n->stype == FWS_SCALAR_STRING);
}

static int is_null_scalar(const fws_node *n) {
  return n && n->kind == FWS_NODE_SCALAR && n->plain && n->stype == FWS_SCALAR_NULL;
}

static int has_any(const fws_node *n, const char *const *keys) {
  for (; *keys; keys++)
    if (fws_node_get(n, *keys)) return 1;
  return 0;
}

/* ---- validation rules ---- */

static int number_at(fws_aa *a, const fws_node *n, const char *key, double *out) {
  const fws_node *v = fws_node_get(n, key);
  if (!v) return 0;
  if (v->kind == FWS_NODE_SCALAR && v->plain && (v->stype == FWS_SCALAR_INT || v->stype == FWS_SCALAR_FLOAT)) {
    *out = strtod(v->str, NULL);
    if (v->len > 2 && (v->str[1] == 'x' || v->str[1] == 'o'))
      *out = (double)strtoull(v->str + 2, NULL, v->str[1] == 'x' ? 16 : 8);
    return 1;
  }
  fws_ld_error(a->ld, v->pos, "'%s' must be a number", key);
  return 0;
}

static int count_at(fws_aa *a, const fws_node *n, const char *key, uint64_t *out) {
  double d;
  if (!number_at(a, n, key, &d)) return 0;
  if (d < 0 || d != floor(d) || d > 1e18) {
    fws_ld_error(a->ld, fws_node_get(n, key)->pos, "'%s' must be a whole number, 0 or more", key);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

/* The format names the codec checks; others are accepted as any string (a warning says so). */
static int format_checked(const char *f) {
  static const char *const checked[] = {"date-time", "date", "uuid", "email", "uri", "url", "hostname",
                                        "ipv4", "ipv6", "byte", NULL};
  for (const char *const *p = checked; *p; p++)
    if (strcmp(*p, f) == 0) return 1;
  return 0;
}

static const fws_rules *string_rules(fws_aa *a, const fws_node *n) {
  fws_rules r = {0};
  int any = 0;
  any |= r.has_min_length = count_at(a, n, "minLength", &r.min_length);
  any |= r.has_max_length = count_at(a, n, "maxLength", &r.max_length);
  r.pattern = fws_aa_str(a, n, "pattern");
  any |= r.pattern != NULL;
  const char *f = fws_aa_str(a, n, "format");
  if (f && format_checked(f)) r.format = f, any = 1;
  else if (f && strcmp(f, "binary") != 0 && strcmp(f, "password") != 0)
    fws_ld_warn(a->ld, fws_node_get(n, "format")->pos, "format '%s' is not checked by the codec (any string)", f);
  if (r.has_min_length && r.has_max_length && r.min_length > r.max_length)
    fws_ld_error(a->ld, n->pos, "minLength is above maxLength");
  if (!any) return NULL;
  fws_rules *out = fws_ld_alloc(a->ld, sizeof *out);
  *out = r;
  out->pos = n->pos;
  return out;
}

/* minimum/maximum with draft-4 boolean or draft-6+ numeric exclusive bounds. */
static const fws_rules *number_rules(fws_aa *a, const fws_node *n) {
  fws_rules r = {0};
  int any = 0;
  any |= r.has_min = number_at(a, n, "minimum", &r.min);
  any |= r.has_max = number_at(a, n, "maximum", &r.max);
  const fws_node *emin = fws_node_get(n, "exclusiveMinimum"), *emax = fws_node_get(n, "exclusiveMaximum");
  int b;
  double x;
  if (emin && fws_scalar_bool(emin, &b)) r.exclusive_min = (unsigned)b;
  else if (emin && number_at(a, n, "exclusiveMinimum", &x) && (!r.has_min || x >= r.min))
    r.has_min = 1, r.min = x, r.exclusive_min = 1, any = 1;
  if (emax && fws_scalar_bool(emax, &b)) r.exclusive_max = (unsigned)b;
  else if (emax && number_at(a, n, "exclusiveMaximum", &x) && (!r.has_max || x <= r.max))
    r.has_max = 1, r.max = x, r.exclusive_max = 1, any = 1;
  any |= r.has_multiple_of = number_at(a, n, "multipleOf", &r.multiple_of);
  if (r.has_multiple_of && !(r.multiple_of > 0)) {
    fws_ld_error(a->ld, fws_node_get(n, "multipleOf")->pos, "'multipleOf' must be above 0");
    r.has_multiple_of = 0;
  }
  if (r.has_min && r.has_max && r.min > r.max) fws_ld_error(a->ld, n->pos, "minimum is above maximum");
  const char *f = fws_aa_str(a, n, "format");
  if (f && strcmp(f, "int32") != 0 && strcmp(f, "int64") != 0 && strcmp(f, "float") != 0 && strcmp(f, "double") != 0)
    fws_ld_warn(a->ld, fws_node_get(n, "format")->pos, "format '%s' is not checked by the codec", f);
  if (!any) return NULL;
  fws_rules *out = fws_ld_alloc(a->ld, sizeof *out);
  *out = r;
  out->pos = n->pos;
  return out;
}

static const fws_rules *array_rules(fws_aa *a, const fws_node *n) {
  fws_rules r = {0};
  int any = 0;
  any |= r.has_min_items = count_at(a, n, "minItems", &r.min_items);
  any |= r.has_max_items = count_at(a, n, "maxItems", &r.max_items);
  if (!any) return NULL;
  fws_rules *out = fws_ld_alloc(a->ld, sizeof *out);
  *out = r;
  out->pos = n->pos;
  return out;
}

/* ---- conversion ---- */

static fws_type *convert(fws_aa *a, fws_aa_at at, const char *hint);

/* The name a $ref gives what it points at: its last pointer token, or the file's name. */
static const char *ref_name(fws_aa *a, const char *ref) {
  const char *hash = strchr(ref, '#');
  const char *slash = hash ? strrchr(hash, '/') : NULL;
  if (slash && slash[1]) {
    /* deepgram's unescaped "a/b" keys: the whole key after the container it names */
    const char *comp = strstr(ref, "/schemas/");
    const char *from = comp ? comp + 9 : slash + 1;
    char *s = fws_ld_strndup(a->ld, from, strlen(from));
    for (char *c = s; *c; c++)
      if (*c == '/' || *c == '~') *c = '_';
    return s;
  }
  const char *base = strrchr(ref, '/');
  base = base ? base + 1 : ref;
  size_t n = hash ? (size_t)(hash - base) : strlen(base);
  const char *dot = memchr(base, '.', n);
  return fws_ld_strndup(a->ld, base, dot ? (size_t)(dot - base) : n);
}

/* A declaration takes over what was converted for it: containers and primitives through an alias. */
static void become(fws_type *d, fws_type *c) {
  if (c->kind == FWS_K_OBJECT || c->kind == FWS_K_ENUM || c->kind == FWS_K_UNDISCRIMINATED_UNION ||
      c->kind == FWS_K_UNION) {
    d->kind = c->kind;
    d->u = c->u;
    d->rules = c->rules;
  } else {
    d->kind = FWS_K_ALIAS;
    d->u.alias.target = c;
    if (c->rules && c->index < 0) {
      /* an alias carries the rules of the anonymous type it names (the compiler reads them there) */
      d->rules = c->rules;
      c->rules = NULL;
    }
  }
  if (!d->docs) d->docs = c->docs;
}

/* The declaration made for a schema node (once: later uses and recursion get the same one). */
static fws_type *declare(fws_aa *a, fws_aa_at at, const char *want) {
  fws_type *d = fws_aa_map_get(&a->decls, at.node);
  if (d) return d;
  fws_loader *ld = a->ld;
  const fws_node *n = at.node;
  const char *own = n->kind == FWS_NODE_MAP ? fws_aa_scalar(fws_node_get(n, "x-fern-type-name")) : NULL;
  if (own) want = own;
  d = new_type(a, FWS_K_UNKNOWN, n->pos);
  d->short_name = fws_aa_unique_name(a, want);
  d->name = d->short_name;
  const fws_node *group = n->kind == FWS_NODE_MAP ? fws_node_get(n, "x-fern-sdk-group-name") : NULL;
  const char *g = fws_aa_scalar(group);
  if (g) {
    d->name = fws_arena_printf(&ld->api->arena, "%s.%s", g, d->short_name);
    if (!d->name) longjmp(ld->oom, 1);
  }
  fws_aa_map_put(a, &a->decls, n, d);
  fws_ld_push(ld, &ld->types, d);
  fws_ld_push(ld, &a->decl_list, d);
  const fws_type *owner = ld->owner;
  ld->owner = d;
  d->resolving = 1; /* being converted: an allOf that comes back here cannot merge it */
  int depth = a->depth;
  a->depth = 0; /* a declaration starts a new nesting: recursion goes through it by reference */
  fws_type *c = convert(a, at, d->short_name);
  a->depth = depth;
  become(d, c);
  if (n->kind == FWS_NODE_MAP) {
    d->examples = fws_node_get(n, "examples");
    if (!d->docs) d->docs = fws_aa_scalar(fws_node_get(n, "description"));
  }
  d->resolving = 0;
  ld->owner = owner;
  return d;
}

fws_type *fws_aa_fern_type(fws_aa *a, const fws_node *n) {
  return fws_ld_typeref(a->ld, a->main->file, n);
}

/* An object's properties, in order, ready for merging (allOf) or use. */
static fws_type *object_of(fws_aa *a, fws_aa_at at, const char *hint) {
  const fws_node *n = at.node;
  fws_type *t = new_type(a, FWS_K_OBJECT, n->pos);
  t->u.object.extra_properties = 1; /* JSON Schema allows other properties unless told otherwise */
  const fws_node *props = fws_node_get(n, "properties");
  const fws_node *req = fws_node_get(n, "required");
  if (req && !fws_ld_expect_seq(a->ld, req, "'required'")) req = NULL;
  if (props && fws_ld_expect_map(a->ld, props, "'properties'")) {
    t->u.object.props = fws_ld_alloc(a->ld, (props->n ? props->n : 1) * sizeof(fws_prop));
    for (size_t i = 0; i < props->n; i++) {
      const fws_node *k = props->keys[i], *v = props->values[i];
      int b;
      if (fws_scalar_bool(fws_node_get(v, "x-fern-ignore"), &b) && b) continue;
      int required = 0;
      for (size_t j = 0; req && j < req->n && !required; j++) required = fws_node_is(req->values[j], k->str);
      fws_prop *p = &t->u.object.props[t->u.object.nprops++];
      p->name = k->str;
      p->pos = k->pos;
      fws_type *pt = convert(a, (fws_aa_at){v, at.doc}, pascal(a, hint, k->str));
      p->type = required ? pt : wrap(a, FWS_K_OPTIONAL, pt);
      if (v->kind == FWS_NODE_MAP) {
        p->docs = fws_aa_scalar(fws_node_get(v, "description"));
        p->default_value = fws_node_get(v, "default");
      }
    }
  }
  for (size_t j = 0; req && j < req->n; j++) {
    const fws_node *r = req->values[j];
    if (!is_string_scalar(r)) {
      fws_ld_error(a->ld, r->pos, "'required' lists property names (strings)");
      continue;
    }
    if (!props || !fws_node_get(props, r->str))
      fws_ld_warn(a->ld, r->pos, "required property '%s' is not in 'properties': the codec does not enforce it",
                  r->str);
  }
  const fws_node *ap = fws_node_get(n, "additionalProperties");
  int b;
  if (ap && fws_scalar_bool(ap, &b)) {
    t->u.object.extra_properties = b;
  } else if (ap && ap->kind == FWS_NODE_MAP) {
    if (!t->u.object.nprops && !props) {
      /* a map from names to values of one schema */
      fws_type *m = new_type(a, FWS_K_MAP, n->pos);
      m->u.map.key = prim(a, FWS_P_STRING, n->pos);
      m->u.map.value = ap->n ? convert(a, (fws_aa_at){ap, at.doc}, pascal(a, hint, "value"))
                             : new_type(a, FWS_K_UNKNOWN, ap->pos);
      return m;
    }
    fws_ld_warn(a->ld, ap->pos,
                "'additionalProperties' with a schema beside 'properties': other properties are kept but not checked");
  } else if (ap) {
    fws_ld_error(a->ld, ap->pos, "'additionalProperties' must be true, false or a schema");
  }
  finish_object(a, t);
  return t;
}

static int is_optional(const fws_type *t) { return t && t->kind == FWS_K_OPTIONAL; }

/* allOf: the members' properties merged into one object (a member must be an object). */
static fws_type *merge_all_of(fws_aa *a, fws_aa_at at, const fws_node *list, const char *hint) {
  const fws_node *n = at.node;
  fws_type *t = new_type(a, FWS_K_OBJECT, n->pos);
  t->u.object.extra_properties = 1;
  fws_vec props = {0};
  size_t nmembers = list->n + 1;
  for (size_t i = 0; i < nmembers; i++) {
    fws_type *m;
    fws_pos mpos;
    if (i < list->n) {
      m = convert(a, (fws_aa_at){list->values[i], at.doc}, hint);
      mpos = list->values[i]->pos;
    } else {
      /* the node's own properties beside allOf */
      static const char *const own[] = {"properties", "required", "additionalProperties", NULL};
      if (!has_any(n, own)) break;
      m = object_of(a, at, hint);
      mpos = n->pos;
    }
    const fws_type *d = fws_aa_underlying(m);
    if (d && d->resolving) {
      fws_ld_error(a->ld, mpos, "allOf: a member refers back to the schema being merged (%s)",
                   d->short_name ? d->short_name : "?");
      continue;
    }
    if (!d || d->kind != FWS_K_OBJECT) {
      if (d && d->kind == FWS_K_UNKNOWN) continue;
      char buf[128];
      fws_ld_warn(a->ld, mpos, "allOf: member %s is not an object, only objects merge: it is not enforced",
                  fws_type_describe(m, buf, sizeof buf));
      continue;
    }
    if (!d->u.object.extra_properties) t->u.object.extra_properties = 0;
    for (size_t j = 0; j < d->u.object.nprops; j++) {
      const fws_prop *p = &d->u.object.props[j];
      fws_prop *q = NULL;
      for (size_t k = 0; k < props.n && !q; k++)
        if (strcmp(((fws_prop *)props.items[k])->name, p->name) == 0) q = props.items[k];
      if (!q) {
        q = fws_ld_alloc(a->ld, sizeof *q);
        *q = *p;
        q->owner = NULL;
        fws_ld_push(a->ld, &props, q);
      } else if (is_optional(q->type) && !is_optional(p->type)) {
        q->type = p->type; /* required in one member: required */
      }
    }
  }
  /* `required` beside allOf names properties of the members */
  const fws_node *req = fws_node_get(n, "required");
  for (size_t j = 0; req && req->kind == FWS_NODE_SEQ && j < req->n; j++)
    for (size_t k = 0; k < props.n; k++) {
      fws_prop *q = props.items[k];
      if (fws_node_is(req->values[j], q->name) && is_optional(q->type)) q->type = q->type->u.elem;
    }
  t->u.object.props = fws_ld_alloc(a->ld, (props.n ? props.n : 1) * sizeof(fws_prop));
  for (size_t k = 0; k < props.n; k++) t->u.object.props[k] = *(fws_prop *)props.items[k];
  t->u.object.nprops = props.n;
  finish_object(a, t);
  return t;
}

/* The value a discriminator gives a member that is a reference to `decl`: from the mapping, else
** its name (as OpenAPI and AsyncAPI say). */
static const char *discriminator_value(const fws_node *mapping, const fws_type *decl) {
  for (size_t i = 0; mapping && mapping->kind == FWS_NODE_MAP && i < mapping->n; i++) {
    const char *ref = fws_aa_scalar(mapping->values[i]);
    if (!ref) continue;
    const char *last = strrchr(ref, '/');
    last = last ? last + 1 : ref;
    if (strcmp(last, decl->short_name) == 0) return mapping->keys[i]->str;
  }
  return decl->short_name;
}

static const fws_prop *find_prop(const fws_type *obj, const char *name) {
  for (size_t i = 0; i < obj->u.object.nprops; i++)
    if (strcmp(obj->u.object.props[i].name, name) == 0) return &obj->u.object.props[i];
  return NULL;
}

static int literal_prop(const fws_prop *p) {
  const fws_type *t = p ? fws_aa_underlying(p->type) : NULL;
  if (t && t->kind == FWS_K_OPTIONAL) t = fws_aa_underlying(t->u.elem);
  return t && t->kind == FWS_K_LITERAL;
}

/* A member told apart by the discriminator: a copy of the object whose property is that literal. */
static fws_type *narrowed(fws_aa *a, const fws_type *obj, const fws_type *decl, const char *prop, const char *value,
                          fws_pos pos) {
  fws_type *t = new_type(a, FWS_K_OBJECT, pos);
  *t = *obj;
  t->index = -1;
  t->name = decl->name; /* still the declaration's, for errors and info.variant */
  t->short_name = decl->short_name;
  t->u.object.props = fws_ld_alloc(a->ld, (obj->u.object.nprops + 1) * sizeof(fws_prop));
  size_t n = 0;
  int found = 0;
  fws_type *lit = new_type(a, FWS_K_LITERAL, pos);
  lit->u.literal.s = value;
  for (size_t i = 0; i < obj->u.object.nprops; i++) {
    t->u.object.props[n] = obj->u.object.props[i];
    if (strcmp(obj->u.object.props[i].name, prop) == 0) t->u.object.props[n].type = lit, found = 1;
    n++;
  }
  if (!found) {
    t->u.object.props[n].name = prop;
    t->u.object.props[n].type = lit;
    t->u.object.props[n].pos = pos;
    n++;
  }
  t->u.object.nprops = n;
  finish_object(a, t);
  return t;
}

fws_type *fws_aa_narrow(fws_aa *a, const fws_type *body, const char *prop, const char *value, fws_pos pos) {
  const fws_type *obj = fws_aa_underlying(body);
  if (!obj || obj->kind != FWS_K_OBJECT) return NULL;
  return narrowed(a, obj, obj, prop, value, pos);
}

static fws_type *union_of(fws_aa *a, fws_aa_at at, const fws_node *list, const char *hint) {
  const fws_node *n = at.node;
  static const char *const own[] = {"properties", "required", "additionalProperties", NULL};
  int siblings = has_any(n, own);
  if (list->n == 1 && !siblings) return convert(a, (fws_aa_at){list->values[0], at.doc}, hint);
  fws_type *t = new_type(a, FWS_K_UNDISCRIMINATED_UNION, n->pos);
  t->name = hint;
  t->u.uu.members = fws_ld_alloc(a->ld, (list->n ? list->n : 1) * sizeof(fws_member));
  const fws_type *base = siblings ? object_of(a, at, hint) : NULL;
  const fws_node *disc = fws_node_get(n, "discriminator");
  const char *dprop = fws_aa_scalar(disc);
  const fws_node *mapping = NULL;
  if (disc && disc->kind == FWS_NODE_MAP) {
    dprop = fws_aa_scalar(fws_node_get(disc, "propertyName"));
    mapping = fws_node_get(disc, "mapping");
  }
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *mn = list->values[i];
    fws_member *m = &t->u.uu.members[t->u.uu.nmembers++];
    m->pos = mn->pos;
    m->type = convert(a, (fws_aa_at){mn, at.doc}, hint);
    if (mn->kind == FWS_NODE_MAP) {
      m->docs = fws_aa_scalar(fws_node_get(mn, "description"));
      m->display_name = fws_aa_scalar(fws_node_get(mn, "title"));
    }
    const fws_type *d = fws_aa_underlying(m->type);
    if (base && d && d->kind == FWS_K_OBJECT && !d->resolving) {
      /* properties beside oneOf apply to every member: merged as an allOf of the two */
      fws_type *merged = new_type(a, FWS_K_OBJECT, mn->pos);
      *merged = *d;
      merged->index = -1;
      merged->name = merged->short_name = NULL;
      merged->u.object.props = fws_ld_alloc(a->ld, (d->u.object.nprops + base->u.object.nprops + 1) * sizeof(fws_prop));
      size_t k = 0;
      for (size_t j = 0; j < base->u.object.nprops; j++)
        if (!find_prop(d, base->u.object.props[j].name)) merged->u.object.props[k++] = base->u.object.props[j];
      for (size_t j = 0; j < d->u.object.nprops; j++) merged->u.object.props[k++] = d->u.object.props[j];
      merged->u.object.nprops = k;
      finish_object(a, merged);
      if (!base->u.object.extra_properties) merged->u.object.extra_properties = 0;
      m->type = merged;
      d = merged;
    } else if (base && d && d->kind != FWS_K_UNKNOWN) {
      fws_ld_warn(a->ld, mn->pos, "properties beside oneOf/anyOf do not apply to this member (not an object)");
    }
    if (dprop && d && d->kind == FWS_K_OBJECT && !literal_prop(find_prop(d, dprop))) {
      if (m->type->kind == FWS_K_REF && !d->resolving) {
        const fws_type *decl = m->type->u.ref.target;
        m->type = narrowed(a, d, decl, dprop, discriminator_value(mapping, decl), mn->pos);
      } else {
        fws_ld_warn(a->ld, mn->pos,
                    "discriminator '%s': this member has no value for it (not a $ref): members are tried in order",
                    dprop);
      }
    }
  }
  return t;
}

static fws_type *literal_of(fws_aa *a, const fws_node *v) {
  fws_type *t = new_type(a, FWS_K_LITERAL, v->pos);
  int b;
  if (v->kind == FWS_NODE_SCALAR && v->plain && fws_scalar_bool(v, &b)) {
    t->u.literal.is_bool = 1;
    t->u.literal.b = b;
  } else {
    t->u.literal.s = v->str;
  }
  return t;
}

static int literal_ok(const fws_node *v) {
  int b;
  return is_string_scalar(v) || (v && v->kind == FWS_NODE_SCALAR && v->plain && fws_scalar_bool(v, &b));
}

static fws_type *typed(fws_aa *a, fws_aa_at at, const char *type, const char *hint);

/* enum: strings make an enum (one string: a literal, as const); a null among them makes it nullable. */
static fws_type *enum_of(fws_aa *a, fws_aa_at at, const fws_node *list, const char *type, const char *hint,
                         int *nullable) {
  const fws_node *n = at.node;
  size_t strings = 0, nulls = 0;
  const fws_node *odd = NULL;
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *v = list->values[i];
    if (is_null_scalar(v)) nulls++;
    else if (is_string_scalar(v)) strings++;
    else if (!odd) odd = v;
  }
  *nullable = nulls > 0;
  if (odd || (type && strcmp(type, "string") != 0)) {
    fws_ld_warn(a->ld, (odd ? odd : list)->pos,
                "enum values that are not strings are not enforced by the codec: read as %s",
                type ? type : "any value");
    return type ? typed(a, at, type, hint) : new_type(a, FWS_K_UNKNOWN, n->pos);
  }
  const fws_node *names = fws_node_get(n, "x-fern-enum");
  if (strings == 1 && !names) {
    for (size_t i = 0; i < list->n; i++)
      if (is_string_scalar(list->values[i])) return literal_of(a, list->values[i]);
  }
  fws_type *t = new_type(a, FWS_K_ENUM, n->pos);
  t->name = hint;
  t->u.enumeration.values = fws_ld_alloc(a->ld, (strings ? strings : 1) * sizeof(fws_enum_value));
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *v = list->values[i];
    if (!is_string_scalar(v)) continue;
    fws_enum_value *e = &t->u.enumeration.values[t->u.enumeration.nvalues++];
    e->value = v->str;
    e->pos = v->pos;
    const fws_node *nm = fws_node_get(names, v->str);
    if (nm) {
      e->name = fws_aa_scalar(fws_node_get(nm, "name"));
      e->docs = fws_aa_scalar(fws_node_get(nm, "description"));
    }
  }
  t->u.enumeration.default_value = fws_aa_scalar(fws_node_get(n, "default"));
  return t;
}

static fws_type *typed(fws_aa *a, fws_aa_at at, const char *type, const char *hint) {
  const fws_node *n = at.node;
  if (strcmp(type, "string") == 0) {
    fws_type *t = prim(a, FWS_P_STRING, n->pos);
    t->rules = string_rules(a, n);
    return t;
  }
  if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
    const char *f = fws_aa_scalar(fws_node_get(n, "format"));
    /* JSON Schema integers have no 32-bit bound: long, unless the format says int32 */
    fws_prim p = type[0] == 'n' ? FWS_P_DOUBLE : f && strcmp(f, "int32") == 0 ? FWS_P_INTEGER : FWS_P_LONG;
    fws_type *t = prim(a, p, n->pos);
    t->rules = number_rules(a, n);
    return t;
  }
  if (strcmp(type, "boolean") == 0) return prim(a, FWS_P_BOOLEAN, n->pos);
  if (strcmp(type, "object") == 0) return object_of(a, at, hint);
  if (strcmp(type, "array") == 0) {
    const fws_node *items = fws_node_get(n, "items");
    int unique = 0;
    fws_scalar_bool(fws_node_get(n, "uniqueItems"), &unique);
    fws_type *t = new_type(a, unique ? FWS_K_SET : FWS_K_LIST, n->pos);
    if (items && items->kind == FWS_NODE_SEQ) {
      fws_ld_warn(a->ld, items->pos, "'items' as a list (a tuple) is not enforced by the codec: any items");
      t->u.elem = new_type(a, FWS_K_UNKNOWN, items->pos);
    } else if (items) {
      t->u.elem = convert(a, (fws_aa_at){items, at.doc}, pascal(a, hint, "item"));
    } else {
      t->u.elem = new_type(a, FWS_K_UNKNOWN, n->pos);
    }
    t->rules = array_rules(a, n);
    return t;
  }
  if (strcmp(type, "null") == 0) {
    fws_ld_warn(a->ld, n->pos, "type 'null' alone is read as nullable<unknown> (the codec has no null-only type)");
    return wrap(a, FWS_K_NULLABLE, new_type(a, FWS_K_UNKNOWN, n->pos));
  }
  fws_ld_error(a->ld, fws_node_get(n, "type") ? fws_node_get(n, "type")->pos : n->pos,
               "unknown JSON Schema type '%s' (string, number, integer, boolean, object, array, null)", type);
  return new_type(a, FWS_K_UNKNOWN, n->pos);
}

static fws_type *convert_at(fws_aa *a, fws_aa_at at, const char *hint) {
  const fws_node *n = at.node;
  fws_loader *ld = a->ld;
  if (n->kind == FWS_NODE_SCALAR) {
    int b;
    if (fws_scalar_bool(n, &b)) {
      if (!b) fws_ld_warn(ld, n->pos, "the schema 'false' (nothing is valid) is read as unknown");
      return new_type(a, FWS_K_UNKNOWN, n->pos);
    }
    fws_ld_error(ld, n->pos, "a schema must be a mapping");
    return new_type(a, FWS_K_UNKNOWN, n->pos);
  }
  if (n->kind != FWS_NODE_MAP) {
    fws_ld_error(ld, n->pos, "a schema must be a mapping, found a list");
    return new_type(a, FWS_K_UNKNOWN, n->pos);
  }
  const fws_node *r = fws_node_get(n, "$ref");
  if (r) {
    if (r->kind != FWS_NODE_SCALAR) {
      fws_ld_error(ld, r->pos, "$ref must be a string");
      return new_type(a, FWS_K_UNKNOWN, n->pos);
    }
    for (size_t i = 0; i < n->n; i++) {
      kw_class cls;
      const char *k = n->keys[i]->str;
      if (strcmp(k, "$ref") != 0 && strncmp(k, "x-", 2) != 0 && !(kw_lookup(k, &cls) && cls == KW_ANNOTATION))
        fws_ld_warn(ld, n->keys[i]->pos, "'%s' beside $ref is not enforced (the referenced schema is used)", k);
    }
    fws_aa_at target = fws_aa_resolve(a, at.doc, r->str, r->pos);
    if (!target.node) return new_type(a, FWS_K_UNKNOWN, n->pos);
    return ref_to(a, declare(a, target, ref_name(a, r->str)), r->pos);
  }
  check_keywords(a, n);
  const fws_node *ft = fws_node_get(n, "x-fern-type");
  if (ft) return fws_aa_fern_type(a, ft);
  /* `nullable: true` (OpenAPI), a "null" in a type list, or null in enum */
  int nullable = 0, b;
  if (fws_scalar_bool(fws_node_get(n, "nullable"), &b)) nullable = b;
  const fws_node *tn = fws_node_get(n, "type");
  const char *type = NULL;
  size_t ntypes = 0;
  if (tn && tn->kind == FWS_NODE_SEQ) {
    for (size_t i = 0; i < tn->n; i++) {
      const char *s = fws_aa_scalar(tn->values[i]);
      if (!s) fws_ld_error(ld, tn->values[i]->pos, "'type' lists type names");
      else if (strcmp(s, "null") == 0) nullable = 1;
      else if (!type) type = s, ntypes = 1;
      else ntypes++;
    }
  } else if (tn) {
    type = fws_aa_scalar(tn);
    if (!type) fws_ld_error(ld, tn->pos, "'type' must be a type name or a list of them");
    else ntypes = 1;
  }
  fws_type *t;
  const fws_node *l;
  if ((l = fws_node_get(n, "allOf")) && fws_ld_expect_seq(ld, l, "'allOf'")) {
    t = l->n == 1 && !fws_node_get(n, "properties") ? convert(a, (fws_aa_at){l->values[0], at.doc}, hint)
                                                    : merge_all_of(a, at, l, hint);
  } else if (((l = fws_node_get(n, "oneOf")) || (l = fws_node_get(n, "anyOf"))) &&
             fws_ld_expect_seq(ld, l, "'oneOf'/'anyOf'") && l->n) {
    t = union_of(a, at, l, hint);
  } else if ((l = fws_node_get(n, "const"))) {
    if (is_null_scalar(l)) {
      t = wrap(a, FWS_K_NULLABLE, new_type(a, FWS_K_UNKNOWN, l->pos));
      fws_ld_warn(ld, l->pos, "const null is read as nullable<unknown>");
    } else if (literal_ok(l)) {
      t = literal_of(a, l);
    } else {
      fws_ld_warn(ld, l->pos, "a const that is not a string or boolean is not enforced by the codec");
      t = type ? typed(a, at, type, hint) : new_type(a, FWS_K_UNKNOWN, n->pos);
    }
  } else if ((l = fws_node_get(n, "enum")) && fws_ld_expect_seq(ld, l, "'enum'")) {
    int nul = 0;
    t = enum_of(a, at, l, type, hint, &nul);
    nullable |= nul;
  } else if (ntypes > 1) {
    t = new_type(a, FWS_K_UNDISCRIMINATED_UNION, n->pos);
    t->name = hint;
    t->u.uu.members = fws_ld_alloc(ld, ntypes * sizeof(fws_member));
    for (size_t i = 0; i < tn->n; i++) {
      const char *s = fws_aa_scalar(tn->values[i]);
      if (!s || strcmp(s, "null") == 0) continue;
      fws_member *m = &t->u.uu.members[t->u.uu.nmembers++];
      m->type = typed(a, at, s, hint);
      m->pos = tn->values[i]->pos;
    }
  } else if (type) {
    t = typed(a, at, type, hint);
  } else {
    static const char *const obj[] = {"properties", "additionalProperties", "required", NULL};
    static const char *const str[] = {"minLength", "maxLength", "pattern", NULL};
    const fws_node *inner = fws_node_get(n, "schema");
    if (has_any(n, obj)) t = object_of(a, at, hint);
    else if (fws_node_get(n, "items")) t = typed(a, at, "array", hint);
    else if (has_any(n, str)) t = typed(a, at, "string", hint);
    else if (inner && inner->kind == FWS_NODE_MAP) {
      /* a Parameter's `schema` written inside a JSON Schema (ElevenLabs): what it means is clear */
      fws_ld_warn(ld, fws_node_get(n, "schema")->pos, "'schema' inside a schema is not JSON Schema: read as this schema");
      t = convert(a, (fws_aa_at){inner, at.doc}, hint);
    } else t = new_type(a, FWS_K_UNKNOWN, n->pos);
  }
  if (nullable && t->kind != FWS_K_NULLABLE && t->kind != FWS_K_UNKNOWN) t = wrap(a, FWS_K_NULLABLE, t);
  if (t->kind != FWS_K_REF && !t->docs) t->docs = fws_aa_scalar(fws_node_get(n, "description"));
  return t;
}

static fws_type *convert(fws_aa *a, fws_aa_at at, const char *hint) {
  if (a->depth >= MAX_SCHEMA_NESTING) {
    fws_ld_error(a->ld, at.node->pos, "the schema nests more than %d levels deep", MAX_SCHEMA_NESTING);
    return new_type(a, FWS_K_UNKNOWN, at.node->pos);
  }
  a->depth++;
  fws_type *t = convert_at(a, at, hint);
  a->depth--;
  return t;
}

fws_type *fws_aa_schema(fws_aa *a, fws_aa_at at, const char *name) {
  if (!at.node) return new_type(a, FWS_K_UNKNOWN, (fws_pos){0, 0, 0});
  if (!name) return convert(a, at, "");
  const fws_node *r = at.node->kind == FWS_NODE_MAP ? fws_node_get(at.node, "$ref") : NULL;
  if (r) return convert(a, at, name); /* already a declaration's: no second name */
  return ref_to(a, declare(a, at, name), at.node->pos);
}

int fws_aa_is_binary_schema(fws_aa *a, fws_aa_at at) {
  at = fws_aa_deref(a, at);
  if (!at.node || at.node->kind != FWS_NODE_MAP) return 0;
  const char *f = fws_aa_scalar(fws_node_get(at.node, "format"));
  return f && strcmp(f, "binary") == 0;
}

void fws_aa_component_schemas(fws_aa *a) {
  const fws_node *comp = fws_node_get(a->main->root, "components");
  if (!comp || comp->kind != FWS_NODE_MAP) return;
  const fws_node *schemas = fws_node_get(comp, "schemas");
  if (!schemas || !fws_ld_expect_map(a->ld, schemas, "'components.schemas'")) return;
  for (size_t i = 0; i < schemas->n; i++)
    declare(a, (fws_aa_at){schemas->values[i], a->main}, schemas->keys[i]->str);
}
