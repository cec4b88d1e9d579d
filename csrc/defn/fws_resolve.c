/* Binding references, cycle checks, flattening of extends, union shapes, and the last channel
** checks; then errors in declarations that no channel reaches become warnings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defn/fws_loader.h"

static fws_type unknown_type = {.kind = FWS_K_UNKNOWN, .index = -1};

static const fws_type *find_in_file(const fws_file *f, const char *name) {
  return f->by_name.keys ? fws_strmap_get(&f->by_name, name) : NULL;
}

/* Each file's declarations by name, so binding stays linear in the number of references. */
static void index_files(fws_loader *ld) {
  fws_api *api = ld->api;
  for (size_t i = 0; i < api->nfiles; i++) {
    fws_file *f = api->files[i];
    if (fws_strmap_init(&f->by_name, &api->arena, f->ntypes)) longjmp(ld->oom, 1);
    for (size_t j = 0; j < f->ntypes; j++) fws_strmap_put(&f->by_name, f->types[j]->short_name, f->types[j]);
  }
}

/* The nearest visible name to a misspelt one: primitives, local names, then alias.Name across imports. */
static void suggest(const fws_file *f, const char *text, char *out, size_t size) {
  static const char *const builtins[] = {"string", "integer", "long", "uint", "uint64", "float", "double",
                                         "boolean", "datetime", "date", "uuid", "base64", "bigint", "unknown"};
  size_t best = (size_t)-1, d;
  out[0] = '\0';
  const char *dot = strchr(text, '.');
  const char *bare = dot ? dot + 1 : text;
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (fws_is_near(text, builtins[i], &d) && d < best) best = d, snprintf(out, size, "%s", builtins[i]);
  for (size_t i = 0; i < f->ntypes; i++)
    if (fws_is_near(text, f->types[i]->short_name, &d) && d < best)
      best = d, snprintf(out, size, "%s", f->types[i]->short_name);
  for (size_t k = 0; k < f->nimports; k++) {
    const fws_file *g = f->imports[k].file;
    for (size_t i = 0; g && i < g->ntypes; i++) {
      char full[512];
      snprintf(full, sizeof full, "%s.%s", f->imports[k].alias, g->types[i]->short_name);
      int near = fws_is_near(text, full, &d);
      /* the right name in the wrong scope is the likeliest slip */
      if (strcmp(bare, g->types[i]->short_name) == 0) near = 1, d = d < 1 ? d : 1;
      if (near && d < best) best = d, snprintf(out, size, "%s", full);
    }
  }
}

static void bind_ref(fws_loader *ld, fws_type *t) {
  const fws_file *f = t->u.ref.file;
  const char *text = t->u.ref.text;
  const char *dot = strchr(text, '.');
  const fws_type *target = NULL;
  if (dot) {
    size_t al = (size_t)(dot - text);
    const fws_file *g = NULL;
    int broken = 0;
    for (size_t i = 0; i < f->nimports && !g && !broken; i++)
      if (strlen(f->imports[i].alias) == al && memcmp(f->imports[i].alias, text, al) == 0) {
        g = f->imports[i].file;
        broken = !g;
      }
    if (broken) {
      t->u.ref.target = &unknown_type; /* its import is already reported */
      return;
    }
    if (!g) {
      fws_ld_error(ld, t->pos, "unknown type '%s': '%.*s' is not an import of %s", text, (int)al, text, f->rel);
      t->u.ref.target = &unknown_type;
      return;
    }
    if (strchr(dot + 1, '.')) {
      fws_ld_error(ld, t->pos, "unknown type '%s': a reference is Name or import.Name", text);
      t->u.ref.target = &unknown_type;
      return;
    }
    target = find_in_file(g, dot + 1);
  } else {
    target = find_in_file(f, text);
  }
  if (!target) {
    char near[512] = "";
    /* a suggestion scans every visible name: only for as many errors as can be shown */
    if (ld->api->diags.nerrors < 4 * FWS_MAX_ERRORS) suggest(f, text, near, sizeof near);
    if (near[0]) fws_ld_error(ld, t->pos, "unknown type '%s' (did you mean '%s'?)", text, near);
    else fws_ld_error(ld, t->pos, "unknown type '%s'", text);
    t->u.ref.target = &unknown_type;
    return;
  }
  t->u.ref.target = (fws_type *)target;
}

/* Through references and aliases, stopping (NULL) on a cycle. */
static const fws_type *deref_checked(const fws_type *t) {
  for (int steps = 0; t && steps < 1000; steps++) {
    if (t->kind == FWS_K_REF) t = t->u.ref.target;
    else if (t->kind == FWS_K_ALIAS) t = t->u.alias.target;
    else return t;
  }
  return NULL;
}

const fws_type *fws_type_deref(const fws_type *t) {
  const fws_type *d = deref_checked(t);
  return d ? d : &unknown_type;
}

/* The alias declaration an alias names (through its reference), or NULL when it names anything
** else: a chain of aliases is a path in which each declaration has one successor. */
static fws_type *alias_next(const fws_type *t) {
  const fws_type *x = t->u.alias.target;
  if (x && x->kind == FWS_K_REF) x = x->u.ref.target;
  return x && x->kind == FWS_K_ALIAS && x->index >= 0 ? (fws_type *)x : NULL;
}

static int pos_before(fws_pos a, fws_pos b) {
  int c = strcmp(a.file ? a.file : "", b.file ? b.file : "");
  if (c) return c < 0;
  return a.line != b.line ? a.line < b.line : a.col < b.col;
}

/* Reports the cycle path[from..] once, at its first declaration in the files, and breaks it there. */
static void break_cycle(fws_loader *ld, fws_vec *path, size_t from) {
  size_t first = from;
  for (size_t i = from; i < path->n; i++)
    if (pos_before(((fws_type *)path->items[i])->pos, ((fws_type *)path->items[first])->pos)) first = i;
  char chain[512];
  size_t at = 0, n = path->n - from;
  for (size_t k = 0; k <= n && at < sizeof chain; k++) {
    const fws_type *t = path->items[from + (first - from + k) % n];
    at += (size_t)snprintf(chain + at, sizeof chain - at, "%s%s", k ? " -> " : "", t->short_name);
  }
  fws_type *t = path->items[first];
  ld->owner = t;
  fws_ld_error(ld, t->pos, "type '%s' is a cyclic alias: %s (it never reaches a real type)", t->short_name, chain);
  ld->owner = NULL;
  t->u.alias.target = &unknown_type;
}

/* Cycles of aliases, and chains too long to follow, each found in one linear walk. */
static void check_alias_chains(fws_loader *ld) {
  fws_api *api = ld->api;
  unsigned char *state = fws_ld_alloc(ld, api->ntypes + 1); /* 0 new, 1 on this walk, 2 done */
  size_t *depth = fws_ld_alloc(ld, (api->ntypes + 1) * sizeof *depth);
  fws_vec path = {0};
  for (size_t i = 0; i < api->ntypes; i++) {
    fws_type *t = api->types[i];
    if (t->kind != FWS_K_ALIAS || state[i] == 2) continue;
    fws_type *x;
    for (;;) {
      path.n = 0;
      for (x = t; x && state[x->index] == 0; x = alias_next(x)) {
        state[x->index] = 1;
        fws_ld_push(ld, &path, x);
      }
      if (!x || state[x->index] == 2) break;
      size_t from = 0;
      while (path.items[from] != x) from++;
      break_cycle(ld, &path, from);
      for (size_t k = 0; k < path.n; k++) state[((fws_type *)path.items[k])->index] = 0;
    }
    size_t d = x ? depth[x->index] : 0;
    for (size_t k = path.n; k-- > 0;) {
      fws_type *p = path.items[k];
      if (++d > FWS_MAX_ALIAS_CHAIN) {
        /* cut (and reported) every FWS_MAX_ALIAS_CHAIN steps: nothing later follows a long chain */
        ld->owner = p;
        fws_ld_error(ld, p->pos, "type '%s' starts a chain of more than %d aliases", p->short_name,
                     FWS_MAX_ALIAS_CHAIN);
        ld->owner = NULL;
        p->u.alias.target = &unknown_type;
        d = 1;
      }
      depth[p->index] = d;
      state[p->index] = 2;
    }
  }
}

/* ---- objects: extends flattened ---- */

static void flatten_object(fws_loader *ld, fws_type *t);

static fws_type *extends_target(fws_loader *ld, fws_type *owner, fws_type *ref) {
  const fws_type *d = fws_type_deref(ref);
  if (d->kind == FWS_K_UNKNOWN) return NULL; /* already reported */
  if (d->kind != FWS_K_OBJECT) {
    ld->owner = owner;
    char buf[256];
    fws_ld_error(ld, ref->pos, "'%s' extends %s, which is not an object", owner->short_name ? owner->short_name : "type",
                 fws_type_describe(ref, buf, sizeof buf));
    ld->owner = NULL;
    return NULL;
  }
  return (fws_type *)d;
}

/* Properties gathered for one object or union, each name once. */
typedef struct prop_set {
  fws_vec all;
  fws_strmap names;
} prop_set;

static void add_prop(fws_loader *ld, fws_type *owner, prop_set *set, fws_prop *p, const char *discriminant) {
  fws_prop *q = fws_strmap_get(&set->names, p->name);
  if (q) {
    if (q == p) return; /* the same base reached twice (diamond) */
    ld->owner = owner;
    fws_ld_error(ld, p->pos, "property '%s' is defined twice in '%s' (also at %s:%u)", p->name,
                 owner->short_name ? owner->short_name : "type", q->pos.file ? q->pos.file : "?",
                 (unsigned)q->pos.line);
    ld->owner = NULL;
    return;
  }
  if (discriminant && strcmp(p->name, discriminant) == 0) {
    ld->owner = owner;
    fws_ld_error(ld, p->pos, "property '%s' clashes with the union's discriminant", p->name);
    ld->owner = NULL;
    return;
  }
  fws_strmap_put(&set->names, p->name, p);
  fws_ld_push(ld, &set->all, p);
}

/* "A -> B -> C -> A": the objects being flattened, from base back to base. */
static void cycle_text(fws_loader *ld, const fws_type *base, char *out, size_t size) {
  size_t from = 0, at = 0;
  while (from < ld->extending.n && ld->extending.items[from] != base) from++;
  out[0] = '\0';
  for (size_t i = from; i <= ld->extending.n && at < size; i++) {
    const fws_type *t = i < ld->extending.n ? ld->extending.items[i] : base;
    at += (size_t)snprintf(out + at, size - at, "%s%s", i > from ? " -> " : "", t->short_name ? t->short_name : "?");
  }
}

/* Flattens the bases of owner into bases[] (NULL where unusable); returns how many properties they hold. */
static size_t flatten_bases(fws_loader *ld, fws_type *owner, fws_type **ext, size_t n, fws_type **bases) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    fws_type *base = bases[i] = extends_target(ld, owner, ext[i]);
    if (!base) continue;
    if (base->resolving) {
      char chain[512];
      cycle_text(ld, base, chain, sizeof chain);
      ld->owner = owner;
      fws_ld_error(ld, ext[i]->pos, "cyclic extends: %s", chain);
      ld->owner = NULL;
      bases[i] = NULL;
      continue;
    }
    flatten_object(ld, base);
    total += base->u.object.nall;
  }
  return total;
}

static void flatten_object(fws_loader *ld, fws_type *t) {
  if (t->resolved || t->resolving) return;
  t->resolved = 1;
  if (ld->extending.n >= FWS_MAX_EXTENDS_DEPTH) {
    /* flattened with its own properties only; the error stops the load */
    ld->owner = t;
    fws_ld_error(ld, t->pos, "'%s' is more than %d levels of extends deep", t->short_name ? t->short_name : "type",
                 FWS_MAX_EXTENDS_DEPTH);
    ld->owner = NULL;
    t->u.object.nextends = 0;
  }
  t->resolving = 1;
  fws_ld_push(ld, &ld->extending, t);
  fws_type **bases = fws_ld_alloc(ld, (t->u.object.nextends + 1) * sizeof *bases);
  size_t total = flatten_bases(ld, t, t->u.object.extends, t->u.object.nextends, bases) + t->u.object.nprops;
  prop_set set = {{0}, {0}};
  if (fws_strmap_init(&set.names, &ld->api->arena, total)) longjmp(ld->oom, 1);
  for (size_t i = 0; i < t->u.object.nextends; i++)
    for (size_t j = 0; bases[i] && j < bases[i]->u.object.nall; j++) add_prop(ld, t, &set, bases[i]->u.object.all[j], NULL);
  for (size_t i = 0; i < t->u.object.nprops; i++) {
    t->u.object.props[i].owner = t;
    add_prop(ld, t, &set, &t->u.object.props[i], NULL);
  }
  t->u.object.all = (fws_prop **)set.all.items;
  t->u.object.nall = set.all.n;
  ld->extending.n--;
  t->resolving = 0;
}

static void resolve_union(fws_loader *ld, fws_type *t) {
  const char *disc = t->u.un.discriminant;
  fws_type **bases = fws_ld_alloc(ld, (t->u.un.nextends + 1) * sizeof *bases);
  size_t total = flatten_bases(ld, t, t->u.un.extends, t->u.un.nextends, bases) + t->u.un.nbase;
  prop_set base = {{0}, {0}};
  if (fws_strmap_init(&base.names, &ld->api->arena, total)) longjmp(ld->oom, 1);
  for (size_t i = 0; i < t->u.un.nextends; i++)
    for (size_t j = 0; bases[i] && j < bases[i]->u.object.nall; j++)
      add_prop(ld, t, &base, bases[i]->u.object.all[j], disc);
  for (size_t i = 0; i < t->u.un.nbase; i++) {
    t->u.un.base[i].owner = t;
    add_prop(ld, t, &base, &t->u.un.base[i], disc);
  }
  t->u.un.all_base = (fws_prop **)base.all.items;
  t->u.un.nall_base = base.all.n;
  for (size_t i = 0; i < t->u.un.nvariants; i++) {
    fws_variant *v = &t->u.un.variants[i];
    if (!v->type) continue;
    const fws_type *d = fws_type_deref(v->type);
    if (v->key) {
      if (strcmp(v->key, disc) == 0) {
        ld->owner = t;
        fws_ld_error(ld, v->pos, "variant '%s': key '%s' clashes with the discriminant", v->value, v->key);
        ld->owner = NULL;
      }
      if (fws_strmap_get(&base.names, v->key)) {
        ld->owner = t;
        fws_ld_error(ld, v->pos, "variant '%s': key '%s' clashes with a base property", v->value, v->key);
        ld->owner = NULL;
      }
      continue;
    }
    if (d->kind != FWS_K_OBJECT) continue;
    v->flattened = 1;
    flatten_object(ld, (fws_type *)d);
    for (size_t j = 0; j < d->u.object.nall; j++) {
      const fws_prop *p = d->u.object.all[j];
      if (strcmp(p->name, disc) == 0) {
        ld->owner = t;
        fws_ld_error(ld, v->pos, "variant '%s': its property '%s' clashes with the discriminant", v->value, p->name);
        ld->owner = NULL;
      }
    }
  }
}

/* ---- reachability from channels ---- */

static void mark(fws_vec *stack, fws_arena *a, const fws_type *t) {
  if (t) fws_vec_push(a, stack, (void *)t);
}

static void reach(fws_loader *ld, const fws_type *root, unsigned char *seen) {
  fws_vec stack = {0};
  fws_arena *a = &ld->api->arena;
  mark(&stack, a, root);
  while (stack.n) {
    const fws_type *t = stack.items[--stack.n];
    if (t->index >= 0) {
      if (seen[t->index]) continue;
      seen[t->index] = 1;
    }
    switch (t->kind) {
    case FWS_K_LIST: case FWS_K_SET: case FWS_K_OPTIONAL: case FWS_K_NULLABLE:
      mark(&stack, a, t->u.elem);
      break;
    case FWS_K_MAP:
      mark(&stack, a, t->u.map.key);
      mark(&stack, a, t->u.map.value);
      break;
    case FWS_K_REF:
      mark(&stack, a, t->u.ref.target);
      break;
    case FWS_K_ALIAS:
      mark(&stack, a, t->u.alias.target);
      break;
    case FWS_K_OBJECT:
      for (size_t i = 0; i < t->u.object.nprops; i++) mark(&stack, a, t->u.object.props[i].type);
      for (size_t i = 0; i < t->u.object.nextends; i++) mark(&stack, a, t->u.object.extends[i]);
      break;
    case FWS_K_UNION:
      for (size_t i = 0; i < t->u.un.nvariants; i++) mark(&stack, a, t->u.un.variants[i].type);
      for (size_t i = 0; i < t->u.un.nbase; i++) mark(&stack, a, t->u.un.base[i].type);
      for (size_t i = 0; i < t->u.un.nextends; i++) mark(&stack, a, t->u.un.extends[i]);
      break;
    case FWS_K_UNDISCRIMINATED_UNION:
      for (size_t i = 0; i < t->u.uu.nmembers; i++) mark(&stack, a, t->u.uu.members[i].type);
      break;
    default:
      break;
    }
  }
}

static void reach_params(fws_loader *ld, const fws_param *ps, size_t n, unsigned char *seen) {
  for (size_t i = 0; i < n; i++) reach(ld, ps[i].type, seen);
}

static void downgrade_unreachable(fws_loader *ld) {
  fws_api *api = ld->api;
  unsigned char *seen = fws_ld_alloc(ld, api->ntypes + 1);
  for (size_t c = 0; c < api->nchannels; c++) {
    const fws_channel *ch = api->channels[c];
    for (size_t i = 0; i < ch->nmessages; i++) reach(ld, ch->messages[i].body, seen);
    reach_params(ld, ch->headers, ch->nheaders, seen);
    reach_params(ld, ch->query, ch->nquery, seen);
    reach_params(ld, ch->path_params, ch->npath_params, seen);
  }
  reach_params(ld, api->headers, api->nheaders, seen);
  reach_params(ld, api->path_params, api->npath_params, seen);
  for (size_t i = 0; i < api->nschemes; i++)
    if (api->schemes[i].type) reach(ld, api->schemes[i].type, seen);
  fws_diags *d = &api->diags;
  for (size_t i = 0; i < d->n && i < ld->owners.n; i++) {
    const fws_type *owner = ld->owners.items[i];
    if (!owner || owner->index < 0 || seen[owner->index] || d->items[i].severity != FWS_ERROR) continue;
    d->items[i].severity = FWS_WARNING;
    d->items[i].message = fws_arena_printf(&api->arena, "%s (in type '%s', which no channel uses)",
                                           d->items[i].message, owner->name);
    if (!d->items[i].message) longjmp(ld->oom, 1);
    d->nerrors--;
    d->nwarnings++;
  }
}

static int cmp_type(const void *a, const void *b) {
  const fws_type *x = *(fws_type *const *)a, *y = *(fws_type *const *)b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  /* equal names: the earlier place first, so the later one is reported as the duplicate */
  c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");
  if (c) return c;
  if (x->pos.line != y->pos.line) return x->pos.line < y->pos.line ? -1 : 1;
  return x->pos.col < y->pos.col ? -1 : (x->pos.col > y->pos.col);
}

static int cmp_channel(const void *a, const void *b) {
  const fws_channel *x = *(fws_channel *const *)a, *y = *(fws_channel *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->file, y->file); /* equal names: a stable order for the error */
}

static void refine_required(fws_param *ps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const fws_type *t = ps[i].type;
    for (int steps = 0; t && steps < 100; steps++) {
      if (t->kind == FWS_K_OPTIONAL || t->kind == FWS_K_NULLABLE) {
        ps[i].required = 0;
        break;
      }
      if (t->kind == FWS_K_REF) t = t->u.ref.target;
      else if (t->kind == FWS_K_ALIAS) t = t->u.alias.target;
      else break;
    }
  }
}

void fws_ld_resolve(fws_loader *ld) {
  fws_api *api = ld->api;
  /* declarations in a stable order, with their index for reachability */
  api->types = (fws_type **)ld->types.items;
  api->ntypes = ld->types.n;
  if (api->ntypes) qsort(api->types, api->ntypes, sizeof *api->types, cmp_type);
  for (size_t i = 0; i < api->ntypes; i++) {
    api->types[i]->index = (int)i;
    if (i && strcmp(api->types[i - 1]->name, api->types[i]->name) == 0) {
      ld->owner = api->types[i];
      fws_ld_error(ld, api->types[i]->pos, "duplicate type '%s' (also at %s:%u)", api->types[i]->name,
                   api->types[i - 1]->pos.file, (unsigned)api->types[i - 1]->pos.line);
      ld->owner = NULL;
    }
  }
  index_files(ld);
  for (size_t i = 0; i < ld->refs.n; i++) {
    ld->owner = ld->ref_owners.items[i];
    bind_ref(ld, ld->refs.items[i]);
  }
  ld->owner = NULL;
  check_alias_chains(ld);
  for (size_t i = 0; i < api->ntypes; i++) {
    fws_type *t = api->types[i];
    if (t->kind == FWS_K_OBJECT) flatten_object(ld, t);
  }
  for (size_t i = 0; i < api->ntypes; i++) {
    fws_type *t = api->types[i];
    if (t->kind == FWS_K_UNION) resolve_union(ld, t);
  }
  api->channels = (fws_channel **)ld->channels.items;
  api->nchannels = ld->channels.n;
  if (api->nchannels) qsort(api->channels, api->nchannels, sizeof *api->channels, cmp_channel);
  for (size_t i = 1; i < api->nchannels; i++)
    if (strcmp(api->channels[i - 1]->name, api->channels[i]->name) == 0)
      /* chat.yml and chat.yaml, or voice.yml and voice/__package__.yml: one name, two channels */
      fws_ld_error(ld, api->channels[i]->pos, "a second channel named '%s' (the other is in %s)",
                   api->channels[i]->name, api->channels[i - 1]->file);
  for (size_t i = 0; i < api->nchannels; i++) {
    fws_channel *ch = api->channels[i];
    refine_required(ch->headers, ch->nheaders);
    refine_required(ch->query, ch->nquery);
  }
  refine_required(api->headers, api->nheaders);
  downgrade_unreachable(ld);
}

const fws_channel *fws_api_channel(const fws_api *api, const char *name) {
  size_t lo = 0, hi = api->nchannels;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(api->channels[mid]->name, name);
    if (c == 0) return api->channels[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const fws_type *fws_api_type(const fws_api *api, const char *name, int *ambiguous) {
  *ambiguous = 0;
  size_t lo = 0, hi = api->ntypes;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(api->types[mid]->name, name);
    if (c == 0) return api->types[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  const fws_type *found = NULL;
  for (size_t i = 0; i < api->ntypes; i++)
    if (api->types[i]->short_name && strcmp(api->types[i]->short_name, name) == 0) {
      if (found) {
        *ambiguous = 1;
        return NULL;
      }
      found = api->types[i];
    }
  return found;
}

/* ---- descriptions ---- */

const char *fws_prim_name(fws_prim p) {
  static const char *const names[] = {"string", "integer", "long", "uint", "uint64", "float", "double",
                                      "boolean", "datetime", "date", "uuid", "base64", "bigint"};
  return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

const char *fws_kind_name(fws_kind k) {
  static const char *const names[] = {"primitive", "list", "set", "map", "optional", "nullable", "literal",
                                      "alias", "object", "enum", "union", "undiscriminated_union",
                                      "unknown", "reference"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static size_t describe(const fws_type *t, char *buf, size_t size, size_t at, int depth) {
#define OUT(...) (at += (size_t)snprintf(buf + (at < size ? at : size - 1), at < size ? size - at : 1, __VA_ARGS__))
  if (depth > 20) {
    OUT("...");
    return at;
  }
  if (!t) {
    OUT("?");
    return at;
  }
  switch (t->kind) {
  case FWS_K_PRIMITIVE: OUT("%s", fws_prim_name(t->u.prim)); break;
  case FWS_K_UNKNOWN: OUT("unknown"); break;
  case FWS_K_LIST: case FWS_K_SET: case FWS_K_OPTIONAL: case FWS_K_NULLABLE:
    OUT("%s<", t->kind == FWS_K_LIST ? "list" : t->kind == FWS_K_SET ? "set" : t->kind == FWS_K_OPTIONAL ? "optional" : "nullable");
    at = describe(t->u.elem, buf, size, at, depth + 1);
    OUT(">");
    break;
  case FWS_K_MAP:
    OUT("map<");
    at = describe(t->u.map.key, buf, size, at, depth + 1);
    OUT(", ");
    at = describe(t->u.map.value, buf, size, at, depth + 1);
    OUT(">");
    break;
  case FWS_K_LITERAL:
    if (t->u.literal.is_bool) OUT("literal<%s>", t->u.literal.b ? "true" : "false");
    else OUT("literal<\"%s\">", t->u.literal.s);
    break;
  case FWS_K_REF:
    if (t->u.ref.target && t->u.ref.target->name) OUT("%s", t->u.ref.target->name);
    else OUT("%s", t->u.ref.text);
    break;
  default:
    OUT("%s", t->name ? t->name : fws_kind_name(t->kind));
    break;
  }
  return at;
#undef OUT
}

const char *fws_type_describe(const fws_type *t, char *buf, size_t size) {
  if (!size) return buf;
  buf[0] = '\0';
  describe(t, buf, size, 0, 0);
  return buf;
}
