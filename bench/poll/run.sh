#!/bin/sh
# fernws.poll times under load: bench_poll.lua on the release build, first on its own, then beside
# HOGS CPU-bound processes (`yes > /dev/null`, default 2: one per core here). Every hog started is
# stopped on exit, by its process id.
# usage: bench/poll/run.sh [seconds] [connections] [budget_ms]     HOGS=N to change the hogs
set -eu
cd "$(dirname "$0")/../.."
sh scripts/build.sh release >/dev/null
export LUA_CPATH="$(pwd)/build/?.so;;" LUA_PATH="$(pwd)/lua/?.lua;$(pwd)/lua/?/init.lua;;"
hogs=""
stop_hogs() { for p in $hogs; do kill "$p" 2>/dev/null || true; done; hogs=""; }
trap stop_hogs EXIT INT TERM
lua5.4 bench/poll/bench_poll.lua "${1:-3}" "${2:-100}" "${3:-2}" "quiet:  "
i=0
while [ "$i" -lt "${HOGS:-2}" ]; do
  yes > /dev/null &
  hogs="$hogs $!"
  i=$((i + 1))
done
lua5.4 bench/poll/bench_poll.lua "${1:-3}" "${2:-100}" "${3:-2}" "loaded: "
stop_hogs
