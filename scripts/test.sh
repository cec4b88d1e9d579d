#!/bin/bash
# Installs what is missing, then runs the whole suite twice: the -Werror test build and the
# AddressSanitizer/UndefinedBehaviorSanitizer build (leaks reported). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
sh scripts/setup.sh || exit 1
passed=0 failed=0
run_suite() {
  local kind=$1 dir
  dir=$(sh scripts/build.sh "$kind") || { echo "build ($kind) failed"; failed=$((failed + 1)); return; }
  echo "== busted on $dir"
  local log="$root/$dir/busted.log" preload=""
  if [ "$kind" = asan ]; then
    preload=$(gcc -print-file-name=libasan.so)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
    export LSAN_OPTIONS=suppressions=$root/.ci/lsan.supp:print_suppressions=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  fi
  ( . scripts/env.sh "$dir"; FWS_SANITIZED=$([ "$kind" = asan ] && echo 1 || echo 0) \
      LD_PRELOAD=$preload lua5.4 /usr/bin/busted --output=utfTerminal spec ) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # busted's summary line: "N successes / N failures / N errors / N pending"
  local s f e
  s=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -Eo '[0-9]+ success(es)?' | tail -1 | grep -Eo '^[0-9]+')
  f=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -Eo '[0-9]+ failures?' | tail -1 | grep -Eo '^[0-9]+')
  e=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -Eo '[0-9]+ errors?' | tail -1 | grep -Eo '^[0-9]+')
  passed=$((passed + ${s:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
  if [ -z "$s" ] || { [ "$rc" -ne 0 ] && [ $((${f:-0} + ${e:-0})) -eq 0 ]; }; then
    echo "busted on $dir exited with $rc (crash, sanitizer report or leak)"
    failed=$((failed + 1))
  fi
}
# memcheck on the demo and the host loop first (the sanitizer run covers the specs), so that the
# output ends with busted's summaries and the count
if sh scripts/build.sh test >/dev/null; then
  echo "== valgrind"
  vout=$(sh scripts/valgrind.sh build-test 2>&1)
  echo "$vout"
  passed=$((passed + $(echo "$vout" | grep -c ': clean$')))
  failed=$((failed + $(echo "$vout" | grep -c ': FAILED$')))
fi
# ThreadSanitizer on what crosses threads: two loops in two threads, the resolver, loops freed
# with a lookup in flight (spec/c/fws_threads_test.c)
if tdir=$(sh scripts/build.sh tsan); then
  echo "== ThreadSanitizer ($tdir)"
  if TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$tdir/spec/c/fws_threads_test" 5 >"$tdir/threads.log" 2>&1; then
    echo "tsan: fws_threads_test: clean"
    passed=$((passed + 1))
  else
    cat "$tdir/threads.log"
    echo "tsan: fws_threads_test: FAILED"
    failed=$((failed + 1))
  fi
else
  echo "build (tsan) failed"
  failed=$((failed + 1))
fi
run_suite test
run_suite asan
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
