#!/bin/sh
# Builds the release module (scripts/build.sh release -> build/) and runs bench_codec.lua.
# usage: bench/codec/run.sh [ROUNDS] [MS_PER_SAMPLE]
set -eu
cd "$(dirname "$0")/../.."
sh scripts/build.sh release >/dev/null
rounds=${1:-} ms=${2:-}
set -- build  # sh passes the caller's arguments to a sourced file
. scripts/env.sh build
exec lua5.4 bench/codec/bench_codec.lua $rounds $ms
