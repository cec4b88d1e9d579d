#!/bin/sh
# Builds the module. usage: scripts/build.sh [release|test|asan|tsan]
#   release  -> build/          (optimised, what the demo uses)
#   test     -> build-test/     (-Wall -Wextra -Werror, the test build)
#   asan     -> build-asan/     (-Werror plus -fsanitize=address,undefined)
#   tsan     -> build-tsan/     (-Werror plus -fsanitize=thread: the threads test)
set -eu
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) dir=build;      flags="-DCMAKE_BUILD_TYPE=Release" ;;
  test)    dir=build-test; flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFWS_WERROR=ON -DFWS_C_TESTS=ON" ;;
  asan)    dir=build-asan; flags="-DCMAKE_BUILD_TYPE=Debug -DFWS_WERROR=ON -DFWS_SANITIZE=ON -DFWS_C_TESTS=ON" ;;
  tsan)    dir=build-tsan; flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFWS_WERROR=ON -DFWS_TSAN=ON -DFWS_C_TESTS=ON" ;;
  *) echo "usage: $0 [release|test|asan|tsan]" >&2; exit 2 ;;
esac
mkdir -p "$dir"
if ! { cmake -S . -B "$dir" $flags && cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  exit 1
fi
echo "$dir"
