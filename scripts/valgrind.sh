#!/bin/sh
# The demo, the host-loop example and the hostile-peer specs under valgrind's memcheck: no leak
# (definite, indirect or possible) and no invalid access outside libwebsockets' own (.ci/valgrind.supp).
# usage: scripts/valgrind.sh [build-dir]   (after scripts/build.sh test)
set -u
cd "$(dirname "$0")/.."
. scripts/env.sh "${1:-build-test}"
status=0
for ex in "examples/chat.lua" "examples/game_loop.lua 1" \
    "/usr/bin/busted -o TAP spec/hostile_size_spec.lua spec/limits_spec.lua spec/redirect_spec.lua spec/client_errors_spec.lua spec/credential_scrub_spec.lua"; do
  if valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
      --errors-for-leak-kinds=definite,indirect,possible --suppressions=.ci/valgrind.supp \
      --error-exitcode=9 lua5.4 $ex >/tmp/fws-valgrind.$$ 2>&1; then
    echo "valgrind: $ex: clean"
  else
    echo "valgrind: $ex: FAILED"
    cat /tmp/fws-valgrind.$$
    status=1
  fi
done
rm -f /tmp/fws-valgrind.$$
exit $status
