/* Type declarations: the `types:` map of a file (alias, object, enum, both union kinds). */
#include <stdio.h>
#include <string.h>

#include "defn/fws_loader.h"

static const char *const common_keys[] = {"docs", "examples", "availability", "audiences", "source",
                                          "inline", "encoding", "display-name", NULL};

static int is_common(const fws_node *k) {
  for (const char *const *p = common_keys; *p; p++)
    if (fws_node_is(k, *p)) return 1;
  return 0;
}

static void known(fws_loader *ld, const fws_node *map, const char *what, const char *const *own) {
  for (size_t i = 0; i < map->n; i++) {
    const fws_node *k = map->keys[i];
    if (is_common(k)) continue;
    int ok = 0;
    for (const char *const *p = own; *p && !ok; p++) ok = fws_node_is(k, *p);
    const char *near = ok ? NULL : fws_nearest(k->str, own);
    if (!near && !ok) near = fws_nearest(k->str, common_keys);
    if (!ok) fws_ld_warn(ld, k->pos, "unknown key '%s' in %s (ignored)%s%s%s", k->str, what,
                         near ? ": did you mean '" : "", near ? near : "", near ? "'?" : "");
  }
}

static fws_type *new_decl(fws_loader *ld, fws_file *file, const fws_node *key, fws_kind kind) {
  fws_type *t = fws_ld_alloc(ld, sizeof *t);
  t->kind = kind;
  t->pos = key->pos;
  t->short_name = key->str;
  t->name = file->package[0] ? fws_arena_printf(&ld->api->arena, "%s.%s", file->package, key->str) : key->str;
  if (!t->name) longjmp(ld->oom, 1);
  t->index = -1;
  return t;
}

/* properties / base-properties: name -> type reference */
static void read_props(fws_loader *ld, fws_file *file, const fws_node *props, const char *what,
                       fws_prop **out, size_t *nout) {
  if (!props || !fws_ld_expect_map(ld, props, what)) return;
  *out = fws_ld_alloc(ld, (props->n ? props->n : 1) * sizeof **out);
  for (size_t i = 0; i < props->n; i++) {
    fws_prop *p = &(*out)[(*nout)++];
    p->name = props->keys[i]->str;
    p->pos = props->keys[i]->pos;
    char w[160];
    snprintf(w, sizeof w, "property '%.100s'", p->name);
    p->type = fws_ld_typeref_decl(ld, file, props->values[i], w, &p->docs, &p->default_value, NULL);
  }
}

static void read_extends(fws_loader *ld, fws_file *file, const fws_node *ext, fws_type ***out, size_t *nout) {
  if (!ext) return;
  if (ext->kind == FWS_NODE_SCALAR) {
    *out = fws_ld_alloc(ld, sizeof **out);
    (*out)[(*nout)++] = fws_ld_typeref(ld, file, ext);
    return;
  }
  if (!fws_ld_expect_seq(ld, ext, "'extends'")) return;
  *out = fws_ld_alloc(ld, (ext->n ? ext->n : 1) * sizeof **out);
  for (size_t i = 0; i < ext->n; i++)
    if (fws_ld_expect_scalar(ld, ext->values[i], "an 'extends' entry"))
      (*out)[(*nout)++] = fws_ld_typeref(ld, file, ext->values[i]);
}

static void read_object(fws_loader *ld, fws_file *file, fws_type *t, const fws_node *d) {
  static const char *const keys[] = {"properties", "extends", "extra-properties", NULL};
  known(ld, d, "an object type", keys);
  read_props(ld, file, fws_node_get(d, "properties"), "'properties'", &t->u.object.props, &t->u.object.nprops);
  read_extends(ld, file, fws_ld_section(d, "extends"), &t->u.object.extends, &t->u.object.nextends);
  t->u.object.extra_properties = fws_ld_opt_bool(ld, d, "extra-properties", 0);
}

static void read_enum(fws_loader *ld, fws_type *t, const fws_node *d) {
  static const char *const keys[] = {"enum", "default", NULL};
  known(ld, d, "an enum type", keys);
  const fws_node *vals = fws_node_get(d, "enum");
  if (!fws_ld_expect_seq(ld, vals, "'enum'")) return;
  t->u.enumeration.values = fws_ld_alloc(ld, (vals->n ? vals->n : 1) * sizeof(fws_enum_value));
  fws_strmap seen;
  if (fws_strmap_init(&seen, &ld->api->arena, vals->n)) longjmp(ld->oom, 1);
  for (size_t i = 0; i < vals->n; i++) {
    const fws_node *v = vals->values[i];
    fws_enum_value ev = {0};
    ev.pos = v->pos;
    if (v->kind == FWS_NODE_SCALAR && v->stype != FWS_SCALAR_STRING) {
      /* the Fern CLI takes only strings: `- 1` or `- true` is a number or a boolean in YAML */
      if (v->stype == FWS_SCALAR_NULL) fws_ld_error(ld, v->pos, "an enum value is missing here");
      else fws_ld_error(ld, v->pos, "enum value %s is not a string: quote it (\"%s\")", v->str, v->str);
      continue;
    } else if (v->kind == FWS_NODE_SCALAR) {
      ev.value = v->str;
    } else if (v->kind == FWS_NODE_MAP) {
      static const char *const vkeys[] = {"value", "name", "docs", "casing", "availability", NULL};
      fws_ld_known_keys(ld, v, "an enum value", vkeys);
      ev.value = fws_ld_opt_str(ld, v, "value");
      ev.name = fws_ld_opt_str(ld, v, "name");
      ev.docs = fws_ld_opt_str(ld, v, "docs");
      if (!ev.value) {
        fws_ld_error(ld, v->pos, "an enum value needs 'value'");
        continue;
      }
    } else {
      fws_ld_error(ld, v->pos, "an enum value must be a string or {value, name}");
      continue;
    }
    const fws_enum_value *dup = fws_strmap_put(&seen, ev.value, &t->u.enumeration.values[t->u.enumeration.nvalues]);
    if (dup) {
      fws_ld_error(ld, v->pos, "duplicate enum value '%s' (first at line %u)", ev.value, (unsigned)dup->pos.line);
      continue;
    }
    t->u.enumeration.values[t->u.enumeration.nvalues++] = ev;
  }
  const fws_node *dn = fws_node_get(d, "default");
  if (dn && fws_ld_expect_scalar(ld, dn, "an enum 'default'")) {
    int found = fws_strmap_get(&seen, dn->str) != NULL;
    if (!found) fws_ld_error(ld, dn->pos, "enum default '%s' is not one of the values", dn->str);
    else t->u.enumeration.default_value = dn->str;
  }
}

static void read_union(fws_loader *ld, fws_file *file, fws_type *t, const fws_node *d) {
  static const char *const keys[] = {"union", "discriminant", "base-properties", "extends", NULL};
  known(ld, d, "a union type", keys);
  t->u.un.discriminant = "type";
  const fws_node *disc = fws_node_get(d, "discriminant");
  if (disc) {
    if (disc->kind == FWS_NODE_SCALAR) {
      t->u.un.discriminant = disc->str;
    } else if (fws_ld_expect_map(ld, disc, "'discriminant'")) {
      static const char *const dkeys[] = {"value", "name", NULL};
      fws_ld_known_keys(ld, disc, "'discriminant'", dkeys);
      const char *v = fws_ld_opt_str(ld, disc, "value");
      if (v) t->u.un.discriminant = v;
      else fws_ld_error(ld, disc->pos, "'discriminant' needs 'value' (the name on the wire)");
    }
  }
  read_props(ld, file, fws_ld_section(d, "base-properties"), "'base-properties'", &t->u.un.base, &t->u.un.nbase);
  read_extends(ld, file, fws_ld_section(d, "extends"), &t->u.un.extends, &t->u.un.nextends);
  const fws_node *u = fws_node_get(d, "union");
  if (!fws_ld_expect_map(ld, u, "'union' of a discriminated union")) return;
  t->u.un.variants = fws_ld_alloc(ld, (u->n ? u->n : 1) * sizeof(fws_variant));
  for (size_t i = 0; i < u->n; i++) {
    const fws_node *k = u->keys[i], *v = u->values[i];
    fws_variant *var = &t->u.un.variants[t->u.un.nvariants++];
    var->value = k->str;
    var->pos = k->pos;
    if (v->kind == FWS_NODE_SCALAR && !(v->stype == FWS_SCALAR_NULL && v->plain)) {
      var->type = fws_ld_typeref(ld, file, v);
    } else if (v->kind == FWS_NODE_MAP) {
      static const char *const vkeys[] = {"type", "key", "docs", "display-name", "availability", "name", NULL};
      fws_ld_known_keys(ld, v, "a union variant", vkeys);
      const fws_node *tn = fws_node_get(v, "type");
      if (tn) var->type = fws_ld_typeref(ld, file, tn);
      var->key = fws_ld_opt_str(ld, v, "key");
      var->docs = fws_ld_opt_str(ld, v, "docs");
      var->display_name = fws_ld_opt_str(ld, v, "display-name");
      if (var->key && !tn) fws_ld_error(ld, v->pos, "variant '%s' has 'key' but no 'type'", k->str);
    } else if (v->kind == FWS_NODE_SCALAR) {
      /* the Fern CLI rejects an empty variant written as nothing: it is `{}` */
      fws_ld_error(ld, v->pos, "variant '%s' needs a type, or {} for a variant with no value", k->str);
    } else {
      fws_ld_error(ld, v->pos, "a union variant must be a type name or a mapping");
    }
  }
}

static void read_uunion(fws_loader *ld, fws_file *file, fws_type *t, const fws_node *d) {
  static const char *const keys[] = {"union", "discriminated", NULL};
  known(ld, d, "an undiscriminated union type", keys);
  const fws_node *u = fws_node_get(d, "union");
  if (!fws_ld_expect_seq(ld, u, "'union' of an undiscriminated union")) return;
  if (u->n == 0) fws_ld_error(ld, u->pos, "an undiscriminated union needs at least one member");
  t->u.uu.members = fws_ld_alloc(ld, (u->n ? u->n : 1) * sizeof(fws_member));
  for (size_t i = 0; i < u->n; i++) {
    const fws_node *v = u->values[i];
    fws_member *m = &t->u.uu.members[t->u.uu.nmembers++];
    m->pos = v->pos;
    if (v->kind == FWS_NODE_MAP) {
      static const char *const mkeys[] = {"type", "docs", "display-name", "validation", "availability", NULL};
      fws_ld_known_keys(ld, v, "a union member", mkeys);
      m->docs = fws_ld_opt_str(ld, v, "docs");
      m->display_name = fws_ld_opt_str(ld, v, "display-name");
      m->type = fws_ld_typeref_decl(ld, file, v, "a union member", NULL, NULL, mkeys);
    } else {
      m->type = fws_ld_typeref_decl(ld, file, v, "a union member", NULL, NULL, NULL);
    }
  }
}

static void read_decl(fws_loader *ld, fws_file *file, const fws_node *key, const fws_node *d, fws_vec *out) {
  if (strchr(key->str, '.') || !key->len) {
    fws_ld_error(ld, key->pos, "a type name cannot be empty or contain '.': '%s'", key->str);
    return;
  }
  fws_type *t;
  if (d->kind == FWS_NODE_SCALAR) {
    t = new_decl(ld, file, key, FWS_K_ALIAS);
    ld->owner = t;
    t->u.alias.target = fws_ld_typeref(ld, file, d);
  } else if (d->kind != FWS_NODE_MAP) {
    fws_ld_error(ld, d->pos, "type '%s' must be a type name or a mapping", key->str);
    return;
  } else if (fws_node_get(d, "enum")) {
    t = new_decl(ld, file, key, FWS_K_ENUM);
    ld->owner = t;
    read_enum(ld, t, d);
  } else if (fws_node_get(d, "union")) {
    int discriminated = fws_ld_opt_bool(ld, d, "discriminated", 1);
    t = new_decl(ld, file, key, discriminated ? FWS_K_UNION : FWS_K_UNDISCRIMINATED_UNION);
    ld->owner = t;
    if (discriminated) read_union(ld, file, t, d);
    else read_uunion(ld, file, t, d);
  } else if (fws_node_get(d, "type") && !fws_node_get(d, "properties")) {
    t = new_decl(ld, file, key, FWS_K_ALIAS);
    ld->owner = t;
    static const char *const keys[] = {"type", "validation", "default", NULL};
    known(ld, d, "an alias type", keys);
    t->u.alias.target = fws_ld_typeref(ld, file, fws_node_get(d, "type"));
    const fws_node *v = fws_node_get(d, "validation");
    if (v) t->rules = fws_ld_rules(ld, v);
  } else {
    t = new_decl(ld, file, key, FWS_K_OBJECT);
    ld->owner = t;
    read_object(ld, file, t, d);
  }
  if (d->kind == FWS_NODE_MAP) {
    t->docs = fws_ld_opt_str(ld, d, "docs");
    t->examples = fws_node_get(d, "examples");
  }
  ld->owner = NULL;
  fws_ld_push(ld, out, t);
  fws_ld_push(ld, &ld->types, t);
}

void fws_ld_declarations(fws_loader *ld, fws_file *file) {
  const fws_node *types = fws_ld_section(file->root, "types");
  if (!types || !fws_ld_expect_map(ld, types, "'types'")) return;
  fws_vec decls = {0};
  for (size_t i = 0; i < types->n; i++) read_decl(ld, file, types->keys[i], types->values[i], &decls);
  file->types = (fws_type **)decls.items;
  file->ntypes = decls.n;
}
