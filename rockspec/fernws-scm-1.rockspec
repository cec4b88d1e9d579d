rockspec_format = "3.0"
package = "fernws"
version = "scm-1"
source = {
  url = "git+https://example.invalid/fernws.git",
}
description = {
  summary = "Typed WebSocket channels from Fern Definitions, validated in C, on libwebsockets",
  detailed = [[
fernws reads the WebSocket channels of a Fern Definition (Fern's YAML API definitions) and gives
Lua live channel objects: typed publish calls and subscribe callbacks, every message validated
and encoded/decoded in C, connections and servers on libwebsockets.
]],
  license = "MIT",
  labels = { "websocket", "fern", "json", "validation" },
}
dependencies = {
  "lua >= 5.4",
  "lua-cjson",
}
external_dependencies = {
  LIBWEBSOCKETS = { header = "libwebsockets.h", library = "websockets" },
  YAML = { header = "yaml.h", library = "yaml" },
  PCRE2 = { header = "pcre2.h", library = "pcre2-8" },
  OPENSSL = { header = "openssl/ssl.h", library = "ssl" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_C_FLAGS = "$(CFLAGS)",
    CMAKE_MODULE_LINKER_FLAGS = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LIBDIR = "$(LIBDIR)",
    LUADIR = "$(LUADIR)",
    YAML_INCDIR = "$(YAML_INCDIR)",
    YAML_LIBDIR = "$(YAML_LIBDIR)",
    LIBWEBSOCKETS_INCDIR = "$(LIBWEBSOCKETS_INCDIR)",
    LIBWEBSOCKETS_LIBDIR = "$(LIBWEBSOCKETS_LIBDIR)",
    PCRE2_INCDIR = "$(PCRE2_INCDIR)",
    PCRE2_LIBDIR = "$(PCRE2_LIBDIR)",
    FWS_INSTALL_BIN = "OFF",
  },
  install = {
    bin = { fernws = "bin/fernws" },
  },
  -- the LuaLS annotations of the API (types/fernws.lua): `luarocks show --rock-dir fernws`/types
  copy_directories = { "types" },
}
