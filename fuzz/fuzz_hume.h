/*
** Shared by the codec targets: a Lua state with the hume fixture loaded and compiled once, a
** codec context set up the way csrc/lua/fws_lapi.c sets it up, and helpers that run the codec
** inside lua_pcall (as the module does: a Lua error out of the codec is a finding too).
*/
#ifndef FWS_FUZZ_HUME_H
#define FWS_FUZZ_HUME_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defn/fws_model.h"
#include "types/fws_codec.h"
#include "types/fws_schema.h"

#ifndef FWS_FUZZ_HUME_DEFAULT
#define FWS_FUZZ_HUME_DEFAULT "../shared/fixtures/fern/hume/definition"
#endif

typedef struct fz {
  lua_State *L;
  fws_api *api;
  fws_schema *schema;
  fws_codec_ctx ctx;
  const fws_cchannel *chat;     /* empathic-voice.chat */
  const fws_ct *subscribe_ct;   /* root.SubscribeEvent, the body of the `subscribe` message */
  int cjson;                    /* registry ref of cjson.decode, or LUA_NOREF */
  int workarounds;              /* step around the open bugs (fuzz/regressions/README.md) */
} fz;

static fz g;

static const fws_ct fz_unknown_ct = {.op = FWS_OP_UNKNOWN, .complete = 1, .label = "unknown", .variant = "unknown"};

static void fz_fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "fuzz: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  abort();
}

static void fz_init(void) {
  const char *dir = getenv("FWS_HUME");
  if (!dir) dir = FWS_FUZZ_HUME_DEFAULT;
  g.api = fws_load(dir, NULL);
  if (!g.api || g.api->diags.nerrors) {
    fprintf(stderr, "fuzz: cannot load the hume fixture at %s (set FWS_HUME)\n", dir);
    if (g.api)
      for (size_t i = 0; i < g.api->diags.n && i < 5; i++) fprintf(stderr, "  %s\n", g.api->diags.items[i].message);
    exit(1);
  }
  g.schema = fws_schema_compile(g.api);
  if (!g.schema || g.api->diags.nerrors) fz_fail("cannot compile %s%s", dir, "");
  for (size_t i = 0; i < g.api->nchannels; i++)
    if (strcmp(g.api->channels[i]->name, "empathic-voice.chat") == 0) g.chat = &g.schema->channels[i];
  if (!g.chat) fz_fail("no channel empathic-voice.chat in %s%s", dir, "");
  for (uint32_t i = 0; i < g.chat->nmessages; i++)
    if (strcmp(g.chat->messages[i].id, "subscribe") == 0) g.subscribe_ct = g.chat->messages[i].type;
  if (!g.subscribe_ct || g.subscribe_ct->op != FWS_OP_UUNION) fz_fail("no union message 'subscribe'%s%s", "", "");

  g.L = luaL_newstate();
  if (!g.L) fz_fail("luaL_newstate%s%s", "", "");
  luaL_openlibs(g.L);
  /* the module's array metatable, as luaopen_fernws makes it */
  luaL_newmetatable(g.L, "fernws.array_mt");
  g.ctx.array_mt_ref = luaL_ref(g.L, LUA_REGISTRYINDEX);
  /* property names learnt as Lua strings, as fernws.load sets up (types/fws_keys.c) */
  lua_newtable(g.L);
  g.ctx.anchor_ref = luaL_ref(g.L, LUA_REGISTRYINDEX);
  g.ctx.match_data = g.schema->match_data;
  g.workarounds = !getenv("FWS_FUZZ_NO_WORKAROUNDS");
  g.cjson = LUA_NOREF;
  if (!getenv("FWS_FUZZ_NO_CJSON")) {
    /* cjson, when installed, is the differential peer for `unknown`: strict numbers */
    if (luaL_dostring(g.L, "local c = require 'cjson'.new() c.decode_invalid_numbers(false) "
                           "c.decode_max_depth(1000) return c.decode") == LUA_OK)
      g.cjson = luaL_ref(g.L, LUA_REGISTRYINDEX);
    else
      lua_pop(g.L, 1);
  }
}

/* ---- the codec under lua_pcall ---- */

typedef struct fz_call {
  int what;                     /* FZ_DECODE_DISPATCH, FZ_DECODE, FZ_DECODE_ANY, FZ_ENCODE */
  const char *text;
  size_t len;
  const fws_dispatch *ds;
  const fws_ct *t;
  fws_decode_opts opts;
  int flags;
  int idx;                      /* encode: the value's index in the caller's frame */
  int rc;
  fws_verrs errs;
  fws_decoded out;
} fz_call;

enum { FZ_DECODE_DISPATCH, FZ_DECODE, FZ_DECODE_ANY, FZ_ENCODE };

static int fz_call_k(lua_State *L) {
  fz_call *c = lua_touserdata(L, 1);
  lua_remove(L, 1); /* encode: the value is now at 1 */
  if (c->what != FZ_ENCODE) {
    /* as channel:decode does: the anchor table below what the decoder pushes */
    lua_rawgeti(L, LUA_REGISTRYINDEX, g.ctx.anchor_ref);
    c->opts.anchor = lua_gettop(L);
  }
  int top = lua_gettop(L);
  switch (c->what) {
  case FZ_DECODE_DISPATCH:
    c->rc = fws_decode_dispatch(L, &g.ctx, c->text, c->len, c->ds, &c->opts, &c->errs, &c->out);
    break;
  case FZ_DECODE:
    c->rc = fws_decode(L, &g.ctx, c->text, c->len, c->t, &c->opts, &c->errs, &c->out);
    break;
  case FZ_DECODE_ANY:
    c->rc = fws_decode_any(L, &g.ctx, c->text, c->len, &c->errs);
    break;
  case FZ_ENCODE:
    g.ctx.out.len = 0;
    g.ctx.out.failed = 0;
    c->rc = fws_encode(L, &g.ctx, 1, c->t, c->flags, &c->errs);
    return 0;
  }
  /* a decoder pushes exactly one value on success, nothing on failure */
  if (lua_gettop(L) != top + (c->rc == 0)) fz_fail("decoder left %s values (rc %s)", c->rc ? "stray" : "a wrong number of", c->rc ? "-1" : "0");
  return c->rc == 0;
}

/* Runs the call; on success of a decode the value is left on the stack. */
static int fz_run(fz_call *c) {
  lua_State *L = g.L;
  int top = lua_gettop(L);
  memset(&c->errs, 0, sizeof c->errs);
  memset(&c->out, 0, sizeof c->out);
  c->rc = -2;
  lua_pushcfunction(L, fz_call_k);
  lua_pushlightuserdata(L, c);
  if (c->what == FZ_ENCODE) lua_pushvalue(L, c->idx);
  int st = lua_pcall(L, c->what == FZ_ENCODE ? 2 : 1, c->what == FZ_ENCODE ? 0 : 1, 0);
  if (st != LUA_OK) fz_fail("the codec raised a Lua error: %s%s", lua_tostring(L, -1), "");
  if (c->what != FZ_ENCODE) {
    if (c->rc == 0) {
      if (lua_gettop(L) != top + 1) abort();
    } else {
      lua_settop(L, top);
    }
  }
  if (c->rc != 0) {
    /* a failure says why: at least one error, each with a message */
    if (c->errs.n == 0 && !c->errs.oom) fz_fail("the codec failed without an error%s%s", "", "");
    for (size_t i = 0; i < c->errs.n; i++)
      if (!c->errs.items[i].message || !c->errs.items[i].message[0]) fz_fail("an empty error message%s%s", "", "");
  } else if (c->errs.n) {
    fz_fail("the codec succeeded but reported: %s%s", c->errs.items[0].message, "");
  }
  fws_verrs_free(&c->errs);
  return c->rc;
}

/* ---- deep equality of two Lua values (tables compared by content, metatables ignored) ---- */

static int fz_equal(lua_State *L, int a, int b, int depth);

/* every key of a is a key of b (values not compared: fz_subset did that the other way, and
** comparing both ways again at every level would cost 2^depth) */
static int fz_keys_in(lua_State *L, int a, int b) {
  lua_pushnil(L);
  while (lua_next(L, a)) {
    lua_pushvalue(L, -2);
    if (lua_rawget(L, b) == LUA_TNIL) {
      lua_pop(L, 3);
      return 0;
    }
    lua_pop(L, 2);
  }
  return 1;
}

/* every key of a has an equal value in b */
static int fz_subset(lua_State *L, int a, int b, int depth) {
  lua_pushnil(L);
  while (lua_next(L, a)) {
    lua_pushvalue(L, -2);
    lua_rawget(L, b);
    int top = lua_gettop(L);
    if (!fz_equal(L, top - 1, top, depth + 1)) {
      lua_pop(L, 3);
      return 0;
    }
    lua_pop(L, 2);
  }
  return 1;
}

static int fz_equal(lua_State *L, int a, int b, int depth) {
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (depth > 300) fz_fail("values nest deeper than %s%s", "300", "");
  int ta = lua_type(L, a), tb = lua_type(L, b);
  if (ta != tb) return 0;
  switch (ta) {
  case LUA_TNUMBER:
    /* integers stay integers: math.type must agree too */
    if (lua_isinteger(L, a) != lua_isinteger(L, b)) return 0;
    return lua_rawequal(L, a, b);
  case LUA_TTABLE:
    luaL_checkstack(L, 10, "deep");
    return fz_subset(L, a, b, depth) && fz_keys_in(L, b, a);
  default:
    return lua_rawequal(L, a, b);
  }
}

/* Like fz_equal but numbers compare by value only (cjson reads every number as a float). */
static int fz_equal_loose(lua_State *L, int a, int b, int depth);

static int fz_subset_loose(lua_State *L, int a, int b, int depth) {
  lua_pushnil(L);
  while (lua_next(L, a)) {
    lua_pushvalue(L, -2);
    lua_rawget(L, b);
    int top = lua_gettop(L);
    if (!fz_equal_loose(L, top - 1, top, depth + 1)) {
      lua_pop(L, 3);
      return 0;
    }
    lua_pop(L, 2);
  }
  return 1;
}

static int fz_equal_loose(lua_State *L, int a, int b, int depth) {
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (depth > 1100) fz_fail("values nest deeper than %s%s", "1100", "");
  int ta = lua_type(L, a), tb = lua_type(L, b);
  if (ta != tb) return 0;
  switch (ta) {
  case LUA_TNUMBER:
    return (lua_Number)lua_tonumber(L, a) == (lua_Number)lua_tonumber(L, b);
  case LUA_TTABLE:
    luaL_checkstack(L, 10, "deep");
    return fz_subset_loose(L, a, b, depth) && fz_keys_in(L, b, a);
  default:
    return lua_rawequal(L, a, b);
  }
}

#endif
