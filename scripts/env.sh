# Sourced: points Lua at a build directory and the Lua sources. usage: . scripts/env.sh build-test
_fws_root=$(cd "$(dirname "${BASH_SOURCE:-$0}")/.." 2>/dev/null && pwd)
[ -f "$_fws_root/scripts/env.sh" ] || _fws_root=$(pwd)  # sourced by sh: $0 is the caller
FWS_BUILD_DIR="$_fws_root/${1:-build}"
export FWS_BUILD_DIR
export LUA_CPATH="$FWS_BUILD_DIR/?.so;;"
export LUA_PATH="$_fws_root/lua/?.lua;$_fws_root/lua/?/init.lua;$_fws_root/spec/?.lua;;"
