/* Type objects: a read-only view of a type of the model (kind, name, docs, parts, rules). */
#include <string.h>

#include "lua/fws_lpairs.h"
#include "lua/fws_lua.h"

static fws_ltype *check_type(lua_State *L, int idx) {
  fws_ltype *t = fws_lcheck(L, idx, &fws_key_type, sizeof *t, FWS_TYPE_MT);
  if (!t->owner->api) luaL_error(L, "attempt to use a type of a freed api");
  return t;
}

void fws_ltype_push(lua_State *L, int api_idx, const fws_type *t) {
  api_idx = lua_absindex(L, api_idx);
  /* a plain reference is its declaration; one carrying its own rules stays an anonymous alias */
  while (t && t->kind == FWS_K_REF && !t->rules && t->u.ref.target) t = t->u.ref.target;
  if (!t) {
    lua_pushnil(L);
    return;
  }
  fws_lapi *a = lua_touserdata(L, api_idx);
  lua_getiuservalue(L, api_idx, 1);
  if (lua_rawgetp(L, -1, t) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  fws_ltype *u = lua_newuserdatauv(L, sizeof *u, 2);
  u->tag = &fws_key_type;
  u->t = t;
  u->owner = a;
  luaL_setmetatable(L, FWS_TYPE_MT);
  lua_pushvalue(L, api_idx);
  lua_setiuservalue(L, -2, 1);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 2);
  /* every type object is cached, so the same type is the same object (and recursion is cheap) */
  lua_pushvalue(L, -1);
  lua_rawsetp(L, -3, t);
  lua_remove(L, -2);
}

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void push_rules(lua_State *L, const fws_rules *r) {
  lua_createtable(L, 0, 8);
  if (r->has_min_length) { lua_pushinteger(L, (lua_Integer)r->min_length); lua_setfield(L, -2, "min_length"); }
  if (r->has_max_length) { lua_pushinteger(L, (lua_Integer)r->max_length); lua_setfield(L, -2, "max_length"); }
  if (r->has_min_items) { lua_pushinteger(L, (lua_Integer)r->min_items); lua_setfield(L, -2, "min_items"); }
  if (r->has_max_items) { lua_pushinteger(L, (lua_Integer)r->max_items); lua_setfield(L, -2, "max_items"); }
  if (r->has_min) { lua_pushnumber(L, r->min); lua_setfield(L, -2, "min"); }
  if (r->has_max) { lua_pushnumber(L, r->max); lua_setfield(L, -2, "max"); }
  if (r->exclusive_min) { lua_pushboolean(L, 1); lua_setfield(L, -2, "exclusive_min"); }
  if (r->exclusive_max) { lua_pushboolean(L, 1); lua_setfield(L, -2, "exclusive_max"); }
  if (r->has_multiple_of) { lua_pushnumber(L, r->multiple_of); lua_setfield(L, -2, "multiple_of"); }
  set_str(L, "pattern", r->pattern);
  set_str(L, "format", r->format);
}

static void push_prop(lua_State *L, int api, const fws_prop *p) {
  lua_createtable(L, 0, 5);
  lua_pushstring(L, p->name);
  lua_setfield(L, -2, "name");
  fws_ltype_push(L, api, p->type);
  lua_setfield(L, -2, "type");
  set_str(L, "docs", p->docs);
  const fws_type *d = p->type;
  while (d && (d->kind == FWS_K_REF || d->kind == FWS_K_ALIAS))
    d = d->kind == FWS_K_REF ? d->u.ref.target : d->u.alias.target;
  lua_pushboolean(L, !(d && d->kind == FWS_K_OPTIONAL));
  lua_setfield(L, -2, "required");
  if (p->default_value) {
    fws_lnode_push(L, p->default_value, 0);
    lua_setfield(L, -2, "default");
  }
  if (p->owner && p->owner->name) {
    lua_pushstring(L, p->owner->name);
    lua_setfield(L, -2, "declared_by");
  }
}

static void push_props(lua_State *L, int api, fws_prop *const *ps, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_prop(L, api, ps[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_type_list(lua_State *L, int api, fws_type *const *ts, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    fws_ltype_push(L, api, ts[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* Parts that are tables are built once and kept in uservalue 2. */
static int build_field(lua_State *L, const fws_type *t, const char *k, int api) {
  if (strcmp(k, "properties") == 0 && t->kind == FWS_K_OBJECT) {
    push_props(L, api, t->u.object.all, t->u.object.nall);
  } else if (strcmp(k, "extends") == 0 && t->kind == FWS_K_OBJECT) {
    push_type_list(L, api, t->u.object.extends, t->u.object.nextends);
  } else if (strcmp(k, "extends") == 0 && t->kind == FWS_K_UNION) {
    push_type_list(L, api, t->u.un.extends, t->u.un.nextends);
  } else if (strcmp(k, "base_properties") == 0 && t->kind == FWS_K_UNION) {
    push_props(L, api, t->u.un.all_base, t->u.un.nall_base);
  } else if (strcmp(k, "values") == 0 && t->kind == FWS_K_ENUM) {
    lua_createtable(L, (int)t->u.enumeration.nvalues, 0);
    for (size_t i = 0; i < t->u.enumeration.nvalues; i++) {
      const fws_enum_value *v = &t->u.enumeration.values[i];
      lua_createtable(L, 0, 3);
      set_str(L, "value", v->value);
      set_str(L, "name", v->name);
      set_str(L, "docs", v->docs);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (strcmp(k, "variants") == 0 && t->kind == FWS_K_UNION) {
    lua_createtable(L, (int)t->u.un.nvariants, 0);
    for (size_t i = 0; i < t->u.un.nvariants; i++) {
      const fws_variant *v = &t->u.un.variants[i];
      lua_createtable(L, 0, 5);
      set_str(L, "value", v->value);
      if (v->type) {
        fws_ltype_push(L, api, v->type);
        lua_setfield(L, -2, "type");
      }
      set_str(L, "key", v->key);
      set_str(L, "docs", v->docs);
      lua_pushboolean(L, v->flattened);
      lua_setfield(L, -2, "flattened");
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (strcmp(k, "members") == 0 && t->kind == FWS_K_UNDISCRIMINATED_UNION) {
    lua_createtable(L, (int)t->u.uu.nmembers, 0);
    for (size_t i = 0; i < t->u.uu.nmembers; i++) {
      const fws_member *m = &t->u.uu.members[i];
      lua_createtable(L, 0, 3);
      fws_ltype_push(L, api, m->type);
      lua_setfield(L, -2, "type");
      set_str(L, "docs", m->docs);
      set_str(L, "display_name", m->display_name);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (strcmp(k, "rules") == 0 && t->rules) {
    push_rules(L, t->rules);
  } else if (strcmp(k, "examples") == 0 && t->examples) {
    fws_lnode_push(L, t->examples, 0);
  } else {
    return 0;
  }
  return 1;
}

static int type_index(lua_State *L) {
  fws_ltype *u = check_type(L, 1);
  const char *k = luaL_checkstring(L, 2);
  const fws_type *t = u->t;
  int is_ref = t->kind == FWS_K_REF;
  lua_getiuservalue(L, 1, 1);
  int api = lua_gettop(L);
  if (strcmp(k, "kind") == 0) {
    lua_pushstring(L, is_ref ? "alias" : fws_kind_name(t->kind));
  } else if (strcmp(k, "name") == 0) {
    if (t->name) lua_pushstring(L, t->name);
    else lua_pushnil(L);
  } else if (strcmp(k, "short_name") == 0) {
    if (t->short_name) lua_pushstring(L, t->short_name);
    else lua_pushnil(L);
  } else if (strcmp(k, "docs") == 0) {
    if (t->docs) lua_pushstring(L, t->docs);
    else lua_pushnil(L);
  } else if (strcmp(k, "primitive") == 0 && t->kind == FWS_K_PRIMITIVE) {
    lua_pushstring(L, fws_prim_name(t->u.prim));
  } else if (strcmp(k, "element") == 0 &&
             (t->kind == FWS_K_LIST || t->kind == FWS_K_SET || t->kind == FWS_K_OPTIONAL || t->kind == FWS_K_NULLABLE)) {
    fws_ltype_push(L, api, t->u.elem);
  } else if (strcmp(k, "key") == 0 && t->kind == FWS_K_MAP) {
    fws_ltype_push(L, api, t->u.map.key);
  } else if (strcmp(k, "value") == 0 && t->kind == FWS_K_MAP) {
    fws_ltype_push(L, api, t->u.map.value);
  } else if (strcmp(k, "value") == 0 && t->kind == FWS_K_LITERAL) {
    if (t->u.literal.is_bool) lua_pushboolean(L, t->u.literal.b);
    else lua_pushstring(L, t->u.literal.s);
  } else if (strcmp(k, "target") == 0 && (t->kind == FWS_K_ALIAS || is_ref)) {
    fws_ltype_push(L, api, is_ref ? t->u.ref.target : t->u.alias.target);
  } else if (strcmp(k, "extra_properties") == 0 && t->kind == FWS_K_OBJECT) {
    lua_pushboolean(L, t->u.object.extra_properties);
  } else if (strcmp(k, "discriminant") == 0 && t->kind == FWS_K_UNION) {
    lua_pushstring(L, t->u.un.discriminant);
  } else if (strcmp(k, "default") == 0 && t->kind == FWS_K_ENUM) {
    if (t->u.enumeration.default_value) lua_pushstring(L, t->u.enumeration.default_value);
    else lua_pushnil(L);
  } else if (strcmp(k, "file") == 0) {
    lua_pushstring(L, t->pos.file);
  } else if (strcmp(k, "line") == 0) {
    lua_pushinteger(L, t->pos.line);
  } else {
    lua_getiuservalue(L, 1, 2);
    if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    if (!build_field(L, t, k, api)) {
      lua_pushnil(L);
      return 1;
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, k);
  }
  return 1;
}

static int type_tostring(lua_State *L) {
  fws_ltype *u = luaL_checkudata(L, 1, FWS_TYPE_MT);
  char buf[512];
  if (!u->owner->api) lua_pushliteral(L, "fernws.type (freed)");
  else lua_pushstring(L, fws_type_describe(u->t, buf, sizeof buf));
  return 1;
}

void fws_ltype_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__tostring", type_tostring}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  /* every part a type may have: pairs shows those of its kind */
  static const char *const fields[] = {"kind", "name", "short_name", "docs", "primitive", "element", "key", "value",
                                      "target", "properties", "extends", "extra_properties", "discriminant",
                                      "variants", "base_properties", "values", "default", "members", "rules",
                                      "examples", "file", "line", NULL};
  luaL_newmetatable(L, FWS_TYPE_MT);
  luaL_setfuncs(L, meta, 0);
  fws_lpairs_push(L, fields);
  lua_setfield(L, -2, "__pairs");
  fws_lsetup_mt(L, &fws_key_type, none, type_index);
  lua_pop(L, 1);
}
