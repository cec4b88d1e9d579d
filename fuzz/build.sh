#!/bin/sh
# Builds the libFuzzer targets with clang-14, ASan and UBSan, into build-fuzz/.
# usage: fuzz/build.sh [extra cmake args]     CC overrides the compiler (default clang-14)
set -eu
cd "$(dirname "$0")/.."
dir=${FWS_FUZZ_BUILD:-build-fuzz}
cc=${CC:-clang-14}
mkdir -p "$dir"
if ! { CC=$cc cmake -S . -B "$dir" -DFWS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
       cmake --build "$dir" --target fuzz -j "$(nproc 2>/dev/null || echo 2)"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  exit 1
fi
echo "$dir"
