#!/bin/sh
# Builds the release module (scripts/build.sh release -> build/) and runs bench_codec.lua.
# usage: bench/codec/run.sh [ROUNDS] [MS_PER_SAMPLE]
set -eu
cd "$(dirname "$0")/../.."
sh scripts/build.sh release >/dev/null
. scripts/env.sh build
exec lua5.4 bench/codec/bench_codec.lua "$@"
