#!/bin/sh
# Builds bench_load (Release, -DFWS_BENCH=ON, into build-bench/) and runs it.
# usage: bench/load/run.sh [DEFINITION_DIR] [ROUNDS] [MIN_MS_PER_ROUND]
set -eu
cd "$(dirname "$0")/../.."
dir=${FWS_BENCH_BUILD:-build-bench}
mkdir -p "$dir"
if ! { cmake -S . -B "$dir" -DFWS_BENCH=ON -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$dir" --target bench_load -j "$(nproc 2>/dev/null || echo 2)"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  exit 1
fi
exec "$dir/bench/bench_load" "$@"
