/* The channel object: what a channel declares, and its typed codec. */
#include <string.h>

#include "lua/fws_lcodec.h"
#include "lua/fws_lconn.h"
#include "lua/fws_lserver.h"
#include "lua/fws_lpairs.h"
#include "lua/fws_lua.h"
#include "defn/fws_endpoint.h"
#include "types/fws_schema.h"

fws_lchannel *fws_lchannel_check(lua_State *L, int idx) {
  fws_lchannel *c = fws_lcheck(L, idx, &fws_key_channel, sizeof *c, FWS_CHANNEL_MT);
  if (!c->owner->api) luaL_error(L, "attempt to use a channel of a freed api");
  return c;
}

static int channel_url(lua_State *L);
static int channel_urls(lua_State *L);
static int channel_tostring(lua_State *L);

/* The methods of a channel, as closures over the channel (see fws_lchannel_self) and its
** message-id strings (upvalue 2: the table of uservalue 3, ids at their message index + 1). */
static const luaL_Reg channel_methods[] = {{"check", fws_lchannel_check_msg},
                                           {"encode", fws_lchannel_encode},
                                           {"decode", fws_lchannel_decode},
                                           {"connect", fws_lconn_connect},
                                           {"serve", fws_lserver_serve},
                                           {"endpoint", channel_url},
                                           {"endpoints", channel_urls},
                                           {NULL, NULL}};

fws_lchannel *fws_lchannel_self(lua_State *L, int *own) {
  fws_lchannel *c = lua_touserdata(L, lua_upvalueindex(1));
  int is_own = c && lua_touserdata(L, 1) == c;
  if (own) *own = is_own;
  if (!is_own) return fws_lchannel_check(L, 1);
  if (!c->owner->api) luaL_error(L, "attempt to use a channel of a freed api");
  return c;
}

/* Interns every message id of the channel at the top, anchored in its uservalue 3. */
static void intern_ids(lua_State *L, fws_lchannel *c) {
  const fws_cchannel *cc = &c->owner->schema->channels[c->index];
  lua_createtable(L, (int)cc->nmessages + 1, 0);
  c->ids = lua_newuserdatauv(L, (cc->nmessages ? cc->nmessages : 1) * sizeof *c->ids, 0);
  lua_rawseti(L, -2, (lua_Integer)cc->nmessages + 1);
  for (uint32_t i = 0; i < cc->nmessages; i++) {
    lua_pushstring(L, cc->messages[i].id);
    c->ids[i] = lua_topointer(L, -1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setiuservalue(L, -2, 3);
}

/* A metatable of its own for each channel, whose __index is a table: a method call is then a
** table look-up in the VM, where a shared __index function cost more than a small encode. What is
** not a method (name, messages, ...) comes from the table's own __index (lazy_field). */
static void set_channel_metatable(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushliteral(L, FWS_CHANNEL_MT);
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, channel_tostring);
  lua_setfield(L, -2, "__tostring");
  static const char *const fields[] = {"name", "display_name", "docs", "path", "url", "auth", "file", "api",
                                      "messages", "query", "path_params", "headers", "examples", "auth_message",
                                      "check", "encode", "decode", "connect", "serve", "endpoint", "endpoints", NULL};
  fws_lpairs_push(L, fields);
  lua_setfield(L, -2, "__pairs");
  lua_createtable(L, 0, 8);
  for (const luaL_Reg *r = channel_methods; r->name; r++) {
    /* the channel itself, not its address: a method kept alone keeps its channel alive */
    lua_pushvalue(L, -3);
    lua_getiuservalue(L, -4, 3);
    lua_pushcclosure(L, r->func, 2);
    lua_setfield(L, -2, r->name);
  }
  lua_pushvalue(L, -3);
  lua_rawsetp(L, -2, &fws_key_channel);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &fws_key_channel);
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

void fws_lchannel_push(lua_State *L, int api_idx, int index) {
  api_idx = lua_absindex(L, api_idx);
  fws_lapi *a = lua_touserdata(L, api_idx);
  lua_getiuservalue(L, api_idx, 1);
  if (lua_rawgetp(L, -1, a->api->channels[index]) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  fws_lchannel *c = lua_newuserdatauv(L, sizeof *c, 3);
  c->tag = &fws_key_channel;
  c->ch = a->api->channels[index];
  c->owner = a;
  c->index = index;
  c->ids = NULL;
  lua_pushvalue(L, api_idx);
  lua_setiuservalue(L, -2, 1);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 2);
  intern_ids(L, c);
  set_channel_metatable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, -3, a->api->channels[index]);
  lua_remove(L, -2);
}

void fws_lnode_push(lua_State *L, const fws_node *n, int depth) {
  luaL_checkstack(L, 4, "definition value nests too deeply");
  if (!n || depth > 100) {
    lua_pushnil(L);
    return;
  }
  switch (n->kind) {
  case FWS_NODE_SCALAR:
    switch (n->stype) {
    case FWS_SCALAR_NULL: lua_pushlightuserdata(L, NULL); break;
    case FWS_SCALAR_BOOL: lua_pushboolean(L, n->str[0] == 't' || n->str[0] == 'T'); break;
    case FWS_SCALAR_INT:
    case FWS_SCALAR_FLOAT:
      if (!lua_stringtonumber(L, n->str)) lua_pushlstring(L, n->str, n->len);
      break;
    default: lua_pushlstring(L, n->str, n->len); break;
    }
    break;
  case FWS_NODE_SEQ:
    lua_createtable(L, (int)n->n, 0);
    for (size_t i = 0; i < n->n; i++) {
      fws_lnode_push(L, n->values[i], depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case FWS_NODE_MAP:
    lua_createtable(L, 0, (int)n->n);
    for (size_t i = 0; i < n->n; i++) {
      lua_pushlstring(L, n->keys[i]->str, n->keys[i]->len);
      fws_lnode_push(L, n->values[i], depth + 1);
      lua_rawset(L, -3);
    }
    break;
  }
}

void fws_lparams_push(lua_State *L, int api_idx, const fws_param *ps, size_t n) {
  api_idx = lua_absindex(L, api_idx);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    const fws_param *p = &ps[i];
    lua_createtable(L, 0, 8);
    lua_pushstring(L, p->name);
    lua_setfield(L, -2, "name");
    fws_ltype_push(L, api_idx, p->type);
    lua_setfield(L, -2, "type");
    if (p->docs) {
      lua_pushstring(L, p->docs);
      lua_setfield(L, -2, "docs");
    }
    if (p->default_value) {
      fws_lnode_push(L, p->default_value, 0);
      lua_setfield(L, -2, "default");
    }
    if (p->sdk_name) {
      lua_pushstring(L, p->sdk_name);
      lua_setfield(L, -2, "option");
    }
    if (p->env) {
      lua_pushstring(L, p->env);
      lua_setfield(L, -2, "env");
    }
    lua_pushboolean(L, p->required);
    lua_setfield(L, -2, "required");
    lua_pushboolean(L, p->allow_multiple);
    lua_setfield(L, -2, "allow_multiple");
    if (p->deprecated) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "deprecated");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int api_index_of(lua_State *L, int idx) {
  lua_getiuservalue(L, idx, 1);
  return lua_gettop(L);
}

static void build_messages(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  int api = api_index_of(L, idx);
  lua_createtable(L, 0, (int)c->ch->nmessages);
  for (size_t i = 0; i < c->ch->nmessages; i++) {
    const fws_message *m = &c->ch->messages[i];
    lua_createtable(L, 0, 6);
    lua_pushstring(L, m->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, m->origin == FWS_ORIGIN_CLIENT ? "client" : "server");
    lua_setfield(L, -2, "origin");
    fws_ltype_push(L, api, m->body);
    lua_setfield(L, -2, "type");
    if (m->docs) { lua_pushstring(L, m->docs); lua_setfield(L, -2, "docs"); }
    if (m->display_name) { lua_pushstring(L, m->display_name); lua_setfield(L, -2, "display_name"); }
    if (m->method_name) { lua_pushstring(L, m->method_name); lua_setfield(L, -2, "method_name"); }
    if (m->binary) { lua_pushboolean(L, 1); lua_setfield(L, -2, "binary"); }
    lua_setfield(L, -2, m->id);
  }
  lua_remove(L, api);
}

static void build_query(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  int api = api_index_of(L, idx);
  fws_lparams_push(L, api, c->ch->query, c->ch->nquery);
  lua_remove(L, api);
}

static void build_path_params(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  int api = api_index_of(L, idx);
  fws_lparams_push(L, api, c->ch->path_params, c->ch->npath_params);
  lua_remove(L, api);
}

static void build_headers(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  int api = api_index_of(L, idx);
  fws_lparams_push(L, api, c->ch->headers, c->ch->nheaders);
  lua_remove(L, api);
}

static void build_examples(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  lua_createtable(L, (int)c->ch->nexamples, 0);
  for (size_t i = 0; i < c->ch->nexamples; i++) {
    const fws_example *e = &c->ch->examples[i];
    lua_createtable(L, 0, 6);
    if (e->name) { lua_pushstring(L, e->name); lua_setfield(L, -2, "name"); }
    if (e->docs) { lua_pushstring(L, e->docs); lua_setfield(L, -2, "docs"); }
    if (e->path_params) { fws_lnode_push(L, e->path_params, 0); lua_setfield(L, -2, "path"); }
    if (e->query) { fws_lnode_push(L, e->query, 0); lua_setfield(L, -2, "query"); }
    if (e->headers) { fws_lnode_push(L, e->headers, 0); lua_setfield(L, -2, "headers"); }
    lua_createtable(L, (int)e->nmessages, 0);
    for (size_t j = 0; j < e->nmessages; j++) {
      const fws_example_message *m = &e->messages[j];
      lua_createtable(L, 0, 5);
      lua_pushstring(L, m->type);
      lua_setfield(L, -2, "id");
      lua_pushstring(L, m->message->origin == FWS_ORIGIN_CLIENT ? "client" : "server");
      lua_setfield(L, -2, "origin");
      fws_lnode_push(L, m->body, 0);
      lua_setfield(L, -2, "body");
      lua_pushinteger(L, m->pos.line);
      lua_setfield(L, -2, "line");
      lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "messages");
    fws_lpos_set(L, e->pos);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void build_auth_message(lua_State *L, int idx) {
  fws_lchannel *c = lua_touserdata(L, idx);
  if (!c->ch->auth_message_id) {
    lua_pushboolean(L, 0);
    return;
  }
  lua_createtable(L, 0, 2);
  lua_pushstring(L, c->ch->auth_message_id);
  lua_setfield(L, -2, "id");
  lua_pushstring(L, c->ch->auth_token_path);
  lua_setfield(L, -2, "token_path");
}

static int channel_index(lua_State *L) {
  fws_lchannel *c = fws_lchannel_check(L, 1);
  const char *k = luaL_checkstring(L, 2);
  const fws_channel *ch = c->ch;
  if (strcmp(k, "name") == 0) lua_pushstring(L, ch->name);
  else if (strcmp(k, "path") == 0) lua_pushstring(L, ch->path);
  else if (strcmp(k, "url") == 0) lua_pushstring(L, ch->url);
  else if (strcmp(k, "auth") == 0) lua_pushboolean(L, ch->auth);
  else if (strcmp(k, "docs") == 0) lua_pushstring(L, ch->docs);
  else if (strcmp(k, "display_name") == 0) lua_pushstring(L, ch->display_name);
  else if (strcmp(k, "file") == 0) lua_pushstring(L, ch->file);
  else if (strcmp(k, "api") == 0) lua_getiuservalue(L, 1, 1);
  else if (strcmp(k, "messages") == 0) fws_lcache_get(L, 1, 2, "messages", build_messages);
  else if (strcmp(k, "query") == 0) fws_lcache_get(L, 1, 2, "query", build_query);
  else if (strcmp(k, "path_params") == 0) fws_lcache_get(L, 1, 2, "path_params", build_path_params);
  else if (strcmp(k, "headers") == 0) fws_lcache_get(L, 1, 2, "headers", build_headers);
  else if (strcmp(k, "examples") == 0) fws_lcache_get(L, 1, 2, "examples", build_examples);
  else if (strcmp(k, "auth_message") == 0) {
    fws_lcache_get(L, 1, 2, "auth_message", build_auth_message);
    if (!lua_toboolean(L, -1)) lua_pushnil(L);
  } else lua_pushnil(L);
  return 1;
}

/* channel:endpoint([environment]) -> "wss://host/base/path/{param}" (placeholders kept) */
static int channel_url(lua_State *L) {
  fws_lchannel *c = fws_lchannel_self(L, NULL);
  const char *name = luaL_optstring(L, 2, NULL);
  char err[512], out[4096];
  const fws_environment *env = fws_pick_environment(c->owner->api, name, err, sizeof err);
  const char *base = env ? fws_environment_base(c->owner->api, env, c->ch, err, sizeof err) : NULL;
  if (!base || !fws_join_url(base, c->ch->path, out, sizeof out, err, sizeof err))
    return luaL_error(L, "channel %s: %s", c->ch->name, err);
  lua_pushstring(L, out);
  lua_pushstring(L, env->name);
  return 2;
}

/* channel:endpoints() -> { {environment=, url=} or {environment=, error=}, ... } in declaration order */
static int channel_urls(lua_State *L) {
  fws_lchannel *c = fws_lchannel_self(L, NULL);
  const fws_api *api = c->owner->api;
  lua_createtable(L, (int)api->nenvironments, 0);
  for (size_t i = 0; i < api->nenvironments; i++) {
    const fws_environment *env = &api->environments[i];
    char err[512], out[4096];
    lua_createtable(L, 0, 2);
    lua_pushstring(L, env->name);
    lua_setfield(L, -2, "environment");
    const char *base = fws_environment_base(api, env, c->ch, err, sizeof err);
    if (base && fws_join_url(base, c->ch->path, out, sizeof out, err, sizeof err)) {
      lua_pushstring(L, out);
      lua_setfield(L, -2, "url");
    } else {
      lua_pushstring(L, err);
      lua_setfield(L, -2, "error");
    }
    if (api->default_environment && strcmp(api->default_environment, env->name) == 0) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "default");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int channel_tostring(lua_State *L) {
  fws_lchannel *c = fws_lcheck(L, 1, &fws_key_channel, sizeof *c, FWS_CHANNEL_MT);
  lua_pushfstring(L, "fernws.channel %s (%s)", c->ch->name, c->ch->path);
  return 1;
}

/* __index of a channel's method table: the fields that are not methods, of the channel it holds */
static int lazy_field(lua_State *L) {
  lua_rawgetp(L, 1, &fws_key_channel);
  lua_replace(L, 1);
  return channel_index(L);
}

void fws_lchannel_open(lua_State *L) {
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, lazy_field);
  lua_setfield(L, -2, "__index");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &fws_key_channel);
}
