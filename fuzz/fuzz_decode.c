/*
** fuzz_decode: the schema-directed JSON decoder (csrc/types/fws_decode.c) on random bytes.
**
** Every input is decoded, each time from scratch:
**   1. as a server message of the hume channel empathic-voice.chat (fws_decode_dispatch; the
**      `subscribe` message, body root.SubscribeEvent: an 11-member undiscriminated union told
**      apart by literal `type` properties), lenient, as channel:decode does it;
**   2. as root.SubscribeEvent itself (fws_decode), strict (unknown properties are errors);
**   3. as a client message of the same channel (PublishEvent, 8 members), lenient;
**   4. as `unknown` (fws_decode with an unknown type) and with fws_decode_any.
** Checks beyond ASan/UBSan: no Lua error escapes the codec; success pushes one value and failure
** none, with at least one error message; a successful decode names a message of the right origin;
** (1) and (2) agree when (2) succeeds; `unknown` accepts only what lua-cjson (strict numbers)
** accepts, and then both read the same value.
**
** The hume definition: $FWS_HUME, else the path compiled in (FWS_FUZZ_HUME_DEFAULT).
*/
#include "fuzz_hume.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

static void check_unknown(const char *text, size_t len) {
  lua_State *L = g.L;
  int top = lua_gettop(L);
  fz_call a = {.what = FZ_DECODE, .text = text, .len = len, .t = &fz_unknown_ct};
  int ra = fz_run(&a);
  fz_call b = {.what = FZ_DECODE_ANY, .text = text, .len = len};
  int rb = fz_run(&b);
  if ((ra == 0) != (rb == 0)) fz_fail("unknown: fws_decode and fws_decode_any disagree%s%s", "", "");
  if (ra == 0 && !fz_equal(L, top + 1, top + 2, 0)) fz_fail("unknown: fws_decode and fws_decode_any read different values%s%s", "", "");
  if (ra == 0 && g.cjson != LUA_NOREF) {
    /* what fws accepts as JSON, cjson (strict numbers) accepts too, and reads the same */
    lua_rawgeti(L, LUA_REGISTRYINDEX, g.cjson);
    lua_pushlstring(L, text, len);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      const char *msg = lua_tostring(L, -1);
      /* cjson stops at a NUL byte and knows no depth limit below ours; nothing else excuses it */
      if (!memchr(text, 0, len)) fz_fail("unknown: fws accepts what cjson rejects: %s%s", msg, "");
    } else if (!memchr(text, 0, len) && !fz_equal_loose(L, top + 1, -1, 0)) {
      fz_fail("unknown: fws and cjson read different values%s%s", "", "");
    }
  }
  lua_settop(L, top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = g.L;
  const char *text = (const char *)data;
  int top = lua_gettop(L);

  fz_call s1 = {.what = FZ_DECODE_DISPATCH, .text = text, .len = size, .ds = &g.chat->server};
  int r1 = fz_run(&s1);
  if (r1 == 0) {
    if (s1.out.tag < 0 || (uint32_t)s1.out.tag >= g.chat->nmessages) fz_fail("dispatch: bad tag%s%s", "", "");
    if (g.chat->messages[s1.out.tag].origin != FWS_ORIGIN_SERVER) fz_fail("dispatch: a client message for a server one%s%s", "", "");
    if (!s1.out.variant) fz_fail("dispatch: no variant%s%s", "", "");
  }

  fz_call s2 = {.what = FZ_DECODE, .text = text, .len = size, .t = g.subscribe_ct, .opts = {.strict = 1}};
  int r2 = fz_run(&s2);
  if (r2 == 0) {
    /* strict success implies lenient success, with the same member and the same value */
    if (r1 != 0) fz_fail("strict SubscribeEvent decodes what the lenient dispatch refuses%s%s", "", "");
    if (!s2.out.variant || strcmp(s1.out.variant, s2.out.variant) != 0)
      fz_fail("variants differ: dispatch %s, strict %s", s1.out.variant, s2.out.variant ? s2.out.variant : "(null)");
    if (!fz_equal(L, top + 1, top + 2, 0)) fz_fail("dispatch and strict decode read different values%s%s", "", "");
  }
  lua_settop(L, top);

  fz_call c1 = {.what = FZ_DECODE_DISPATCH, .text = text, .len = size, .ds = &g.chat->client};
  if (fz_run(&c1) == 0) {
    if (g.chat->messages[c1.out.tag].origin != FWS_ORIGIN_CLIENT) fz_fail("dispatch: a server message for a client one%s%s", "", "");
  }
  lua_settop(L, top);

  check_unknown(text, size);
  lua_settop(L, top);
  /* garbage is collected now and then, as a program would */
  lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
