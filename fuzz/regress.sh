#!/bin/sh
# Runs every target of build-fuzz/ on its committed regressions (fuzz/regressions/TARGET/).
# With the harness's workarounds for the open bugs, all must pass; FWS_FUZZ_NO_WORKAROUNDS=1
# shows which of the open bugs still reproduce (see fuzz/regressions/README.md).
set -u
cd "$(dirname "$0")/.."
b=${FWS_FUZZ_BUILD:-build-fuzz}/fuzz
fail=0
for dir in fuzz/regressions/*/; do
  t=$(basename "$dir")
  for f in "$dir"*; do
    case "$f" in *README*) continue ;; esac
    if "$b/$t" "$f" >/tmp/fws-regress.$$ 2>&1; then
      echo "ok    $t $(basename "$f")"
    else
      echo "FAIL  $t $(basename "$f"): $(grep -E '^fuzz: |runtime error|ERROR:' /tmp/fws-regress.$$ | head -1)"
      fail=1
    fi
  done
done
rm -f /tmp/fws-regress.$$
exit $fail
