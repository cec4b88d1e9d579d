#!/usr/bin/env bash
# The echo benchmark of fernws, in one run: see bench/echo/README.md.
#
#   bash bench/echo/run.sh
#
# Environment knobs (defaults in brackets):
#   SECS [3]        seconds measured per configuration, after WARM [0.5] seconds of warm-up
#   REPS [3]        repetitions of every configuration (interleaved); the median is reported
#   MEM ["1000 10000"]  idle connection counts for the memory part (empty: skip it)
#   PROFILE [auto]  perf profile of the fernws client/server when a target is missed (1: always, 0: never)
#   NICE [0]        run the measured processes with this nice value (e.g. -10 as root, to hold
#                   the CPU against other load on a shared machine)
#   FERNWS_SOURCE [worktree]  build the module from the working tree, or "head": from `git archive
#                   HEAD` (the committed tree; reproducible while others edit csrc/)
#   FERNWS_BUILD    an existing fernws build directory to use instead of building one
#
# Builds (into bench/echo/build, git-ignored): the fernws module (Release, its own directory so
# a concurrent build of build/ does not disturb it), echo_server and echo_client (gcc -O2), and
# installs Node's ws 8 into bench/echo/node_modules. Every process it starts is stopped on exit,
# failure or interrupt.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD="$HERE/build"
SECS=${SECS:-3}
WARM=${WARM:-0.5}
REPS=${REPS:-3}
MEM=${MEM-1000 10000}
PROFILE=${PROFILE:-auto}
NICE=${NICE:-0}

TMP=$(mktemp -d /tmp/fernws-echo.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

die() { echo "run.sh: $*" >&2; exit 1; }
forget_pid() {  # forget_pid PID: it has been waited for
  local i
  for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'; done
  return 0
}
# a prefix that execs the program (so $! is the program's own pid), niced when NICE is set
NICE_PFX=()
[ "$NICE" != 0 ] && NICE_PFX=(nice -n "$NICE")

# ---- limits, builds, dependencies ----

hard=$(ulimit -Hn)
ulimit -n "$hard" || die "cannot raise the open-file limit to $hard"

mkdir -p "$BUILD"
echo "== building"
if [ -n "${FERNWS_BUILD:-}" ]; then
  MODDIR=$(cd "$FERNWS_BUILD" && pwd)
  [ -f "$MODDIR/fernws.so" ] || die "no fernws.so in $MODDIR"
else
  MODDIR="$BUILD/module"
  SRC="$ROOT"
  if [ "${FERNWS_SOURCE:-worktree}" = head ]; then
    SRC="$BUILD/head-src"
    MODDIR="$BUILD/module-head"
    rm -rf "$SRC"
    mkdir -p "$SRC"
    git -C "$ROOT" archive HEAD CMakeLists.txt csrc lua | tar -x -C "$SRC"
  fi
  if ! { cmake -S "$SRC" -B "$MODDIR" -DCMAKE_BUILD_TYPE=Release &&
         cmake --build "$MODDIR" -j "$(nproc)" --target fernws; } >"$BUILD/module.log" 2>&1; then
    cat "$BUILD/module.log" >&2
    die "building the fernws module failed"
  fi
fi
LWS_FLAGS=$(pkg-config --cflags --libs libwebsockets)
for p in echo_server echo_client; do
  # shellcheck disable=SC2086
  gcc -O2 -Wall -Wextra -o "$BUILD/$p" "$HERE/$p.c" $LWS_FLAGS || die "building $p failed"
done
if ! (cd "$HERE" && node -e 'process.exit(require("ws/package.json").version.startsWith("8.") ? 0 : 1)') 2>/dev/null; then
  (cd "$HERE" && npm install --no-audit --no-fund ws@8 >"$BUILD/npm.log" 2>&1) ||
    { cat "$BUILD/npm.log" >&2; die "npm install ws@8 failed"; }
fi
export LUA_CPATH="$MODDIR/?.so;;"
export LUA_PATH="${SRC:-$ROOT}/lua/?.lua;${SRC:-$ROOT}/lua/?/init.lua;;"
lua5.4 -e 'require "fernws"' || die "lua5.4 cannot load the fernws module from $MODDIR"

WS_VERSION=$(cd "$HERE" && node -e 'console.log(require("ws/package.json").version)')
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
DIRTY=0
[ "${FERNWS_SOURCE:-worktree}" = head ] || [ -n "${FERNWS_BUILD:-}" ] || DIRTY=$(git -C "$ROOT" status --porcelain -- csrc lua 2>/dev/null | wc -l)
echo "machine: $(nproc) cores, $(uname -r), libwebsockets $(pkg-config --modversion libwebsockets)," \
     "$(lua5.4 -v 2>&1 | cut -d' ' -f1-2), node $(node --version), ws $WS_VERSION"
echo "fernws: commit $COMMIT$([ "$DIRTY" -gt 0 ] && echo " + $DIRTY locally modified files in csrc/ lua/"), module $MODDIR/fernws.so"
echo "open files: $(ulimit -n); SECS=$SECS WARM=$WARM REPS=$REPS NICE=$NICE; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

CLK_TCK=$(getconf CLK_TCK)

# ---- servers and clients ----

SPID=""
SPORT=""
# start_server c|fernws|node [extra env]: sets SPID and SPORT
start_server() {
  local kind=$1 out="$TMP/server.out"
  : >"$out"
  case "$kind" in
    c)      "${NICE_PFX[@]}" "$BUILD/echo_server" >"$out" 2>"$TMP/server.err" & ;;
    fernws) "${NICE_PFX[@]}" lua5.4 "$HERE/fernws_server.lua" >"$out" 2>"$TMP/server.err" & ;;
    node)   "${NICE_PFX[@]}" node "$HERE/node_server.js" >"$out" 2>"$TMP/server.err" & ;;
    *) die "unknown server $kind" ;;
  esac
  SPID=$!
  PIDS+=("$SPID")
  local i
  for i in $(seq 100); do
    SPORT=$(awk '/^port /{print $2}' "$out")
    [ -n "$SPORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$TMP/server.err" >&2
  die "the $kind server did not start"
}

stop_server() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null || true
  wait "$SPID" 2>/dev/null || true
  forget_pid "$SPID"
  SPID=""
}

cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# run_client c|fernws|node INFLIGHT: prints the client's report lines
run_client() {
  local kind=$1 inflight=$2 url="ws://127.0.0.1:$SPORT"
  case "$kind" in
    c)      "${NICE_PFX[@]}" "$BUILD/echo_client" rt "$url/echo" "$inflight" "$SECS" "$WARM" ;;
    fernws) "${NICE_PFX[@]}" lua5.4 "$HERE/fernws_client.lua" "$url" "$inflight" "$SECS" "$WARM" ;;  # the channel path /echo is appended
    node)   "${NICE_PFX[@]}" node "$HERE/node_client.js" "$url/echo" "$inflight" "$SECS" "$WARM" ;;
  esac
}

RESULTS="$TMP/results"
: >"$RESULTS"
# measure NAME CLIENT SERVER INFLIGHT: one sample, appended to $RESULTS as
#   NAME rate client_cpu_us_per_rt server_cpu_us_per_rt
measure() {
  local name=$1 client=$2 server=$3 inflight=$4 out="$TMP/client.out"
  start_server "$server"
  local t0 t1
  t0=$(cpu_ticks "$SPID")
  if ! run_client "$client" "$inflight" >"$out" 2>"$TMP/client.err"; then
    cat "$out" "$TMP/client.err" >&2
    die "$name: the $client client failed against the $server server"
  fi
  t1=$(cpu_ticks "$SPID")
  stop_server
  local rate cpu total
  rate=$(awk '/^rate /{print $2}' "$out")
  cpu=$(awk '/^cpu_us_per_rt /{print $2}' "$out")
  total=$(awk '/^count /{print $4}' "$out")
  [ -n "$rate" ] || die "$name: no rate in the client's output"
  local srv
  srv=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$total" 'BEGIN { printf "%.2f", d * 1e6 / hz / (n > 0 ? n : 1) }')
  echo "$name $rate $cpu $srv $REP" >>"$RESULTS"
  printf '  %-22s %10.0f rt/s  client %6.2f us/rt  server %6.2f us/rt\n' "$name" "$rate" "$cpu" "$srv"
}

# name client server inflight: the raw C pair serves both tables (it is "raw C on both ends")
CONFIGS=(
  "c.1 c c 1"          "fernws.1 fernws c 1"          "node.1 node c 1"
  "c.100 c c 100"      "fernws.100 fernws c 100"      "node.100 node c 100"
  "ff.1 fernws fernws 1"   "nn.1 node node 1"
  "ff.100 fernws fernws 100" "nn.100 node node 100"
)

echo
echo "== round trips: every configuration $REPS times, interleaved, ${SECS} s each after ${WARM} s warm-up"
for rep in $(seq "$REPS"); do
  REP=$rep
  echo " repetition $rep"
  n=${#CONFIGS[@]}
  for k in $(seq 0 $((n - 1))); do
    # rotate the order each repetition so no configuration always runs first or last
    read -r name client server inflight <<<"${CONFIGS[$(((k + rep - 1) % n))]}"
    measure "$name" "$client" "$server" "$inflight"
  done
done

# median NAME FIELD (2 rate, 3 client cpu, 4 server cpu)
median() {
  awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() {
  awk -v n="$1" '$1 == n { print $2 }' "$RESULTS" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo / 1000, hi / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
paired() {  # paired A B: median over repetitions of rate(A) / rate(B) within the same repetition
  awk -v a="$1" -v b="$2" '$1 == a { x[$5] = $2 } $1 == b { y[$5] = $2 } END { for (r in x) if (r in y && y[r] > 0) print x[r] / y[r] }' "$RESULTS" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "meets" : "MISSES") }'; }

MISSED=0
row() {  # row LABEL NAME
  printf '| %-44s | %8.0f | %-11s | %8.2f | %8.2f |\n' "$1" "$(median "$2" 2)" "$(range "$2")k" "$(median "$2" 3)" "$(median "$2" 4)"
}
ratios() {  # ratios LABEL FERNWS RAWC NODE
  local rc rn
  rc=$(ratio "$(median "$2" 2)" "$(median "$3" 2)")
  rn=$(ratio "$(median "$2" 2)" "$(median "$4" 2)")
  printf '  %-28s %sx raw C (target 0.8x: %s)   %sx Node ws (target 1.3x: %s)\n' "$1" \
    "$rc" "$(verdict "$rc" 0.8)" "$rn" "$(verdict "$rn" 1.3)"
  printf '  %-28s paired (median of per-repetition ratios): %sx raw C, %sx Node ws\n' "" "$(paired "$2" "$3")" "$(paired "$2" "$4")"
  printf '  %-28s client CPU per round trip: %sx raw C, %sx Node ws (lower is cheaper)\n' "" \
    "$(ratio "$(median "$2" 3)" "$(median "$3" 3)")" "$(ratio "$(median "$2" 3)" "$(median "$4" 3)")"
  [ "$(verdict "$rc" 0.8)" = meets ] && [ "$(verdict "$rn" 1.3)" = meets ] || MISSED=1
}

echo
echo "== 1. clients against one raw C libwebsockets echo server (separate process, one thread)"
echo "| client                                        |  rt/s    | range       | client   | server   |"
echo "|                                               | (median) | (k rt/s)    | CPU us/rt| CPU us/rt|"
echo "|-----------------------------------------------|---------:|-------------|---------:|---------:|"
row "fernws (Lua callbacks, typed), 1 in flight" fernws.1
row "raw C libwebsockets, 1 in flight" c.1
row "Node ws 8 + JSON, 1 in flight" node.1
row "fernws (Lua callbacks, typed), 100 in flight" fernws.100
row "raw C libwebsockets, 100 in flight" c.100
row "Node ws 8 + JSON, 100 in flight" node.100
echo
ratios "fernws client, 1 in flight:" fernws.1 c.1 node.1
ratios "fernws client, 100 in flight:" fernws.100 c.100 node.100

echo
echo "== 2. both ends of each kind"
echo "| client -> server                              |  rt/s    | range       | client   | server   |"
echo "|                                               | (median) | (k rt/s)    | CPU us/rt| CPU us/rt|"
echo "|-----------------------------------------------|---------:|-------------|---------:|---------:|"
row "fernws -> fernws (typed both ends), 1" ff.1
row "raw C -> raw C, 1" c.1
row "Node ws -> Node ws (JSON both ends), 1" nn.1
row "fernws -> fernws (typed both ends), 100" ff.100
row "raw C -> raw C, 100" c.100
row "Node ws -> Node ws (JSON both ends), 100" nn.100
echo
ratios "fernws both ends, 1 in flight:" ff.1 c.1 nn.1
ratios "fernws both ends, 100:" ff.100 c.100 nn.100
echo "  (server CPU per round trip: fernws server $(median ff.1 4) / $(median ff.100 4) us," \
     "raw C $(median c.1 4) / $(median c.100 4) us, Node ws $(median nn.1 4) / $(median nn.100 4) us at 1 / 100 in flight)"
echo
echo "load average after the round trips: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 3. memory per idle connection ----

# hold CLIENT(fernws|c) SERVER(fernws|c) COUNT: prints the holder's report
hold() {
  local client=$1 server=$2 count=$3 out="$TMP/hold.out" fifo="$TMP/hold.in"
  start_server "$server"
  rm -f "$fifo"
  mkfifo "$fifo"
  : >"$out"
  local path=""
  [ "$client" = c ] && path=/echo
  case "$client" in
    fernws) lua5.4 "$HERE/fernws_hold.lua" "ws://127.0.0.1:$SPORT" "$count" "$SPID" <"$fifo" >"$out" 2>"$TMP/hold.err" & ;;
    c)      "$BUILD/echo_client" hold "ws://127.0.0.1:$SPORT$path" "$count" "$SPID" <"$fifo" >"$out" 2>"$TMP/hold.err" & ;;
  esac
  local hpid=$!
  PIDS+=("$hpid")
  exec 7>"$fifo"  # the holder keeps its connections until this closes
  local i
  for i in $(seq 1200); do
    grep -q '^held' "$out" && break
    kill -0 "$hpid" 2>/dev/null || break
    sleep 0.1
  done
  exec 7>&-
  wait "$hpid" 2>/dev/null || true
  forget_pid "$hpid"
  stop_server
  grep -q '^held' "$out" || { cat "$out" "$TMP/hold.err" >&2; die "holding $count $client connections failed"; }
  cat "$out"
}
field() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

if [ -n "$MEM" ]; then
  echo
  echo "== 3. memory per idle connection (RSS delta / connections, after one warm-up connection)"
  echo "| connections | holder                  | server          | holder KB/conn | of it Lua heap | server KB/conn | opened in |"
  echo "|------------:|-------------------------|-----------------|---------------:|---------------:|---------------:|----------:|"
  for n in $MEM; do
    hold fernws fernws "$n" >"$TMP/m"
    printf '| %11s | %-23s | %-15s | %14s | %14s | %14s | %7ss |\n' "$n" "fernws clients (Lua)" "fernws server" \
      "$(field client_kb_per_conn "$TMP/m")" "$(field client_lua_kb_per_conn "$TMP/m")" "$(field server_kb_per_conn "$TMP/m")" \
      "$(awk '$1 == "opened" { print $6 }' "$TMP/m")"
  done
  top=$(echo "$MEM" | awk '{ print $NF }')
  hold c fernws "$top" >"$TMP/m"
  printf '| %11s | %-23s | %-15s | %14s | %14s | %14s | %7ss |\n' "$top" "raw C clients" "fernws server" \
    "$(field client_kb_per_conn "$TMP/m")" "-" "$(field server_kb_per_conn "$TMP/m")" "$(awk '$1 == "opened" { print $6 }' "$TMP/m")"
  hold c c "$top" >"$TMP/m"
  printf '| %11s | %-23s | %-15s | %14s | %14s | %14s | %7ss |\n' "$top" "raw C clients" "raw C server" \
    "$(field client_kb_per_conn "$TMP/m")" "-" "$(field server_kb_per_conn "$TMP/m")" "$(awk '$1 == "opened" { print $6 }' "$TMP/m")"
fi

# ---- where the time goes ----

# The hot path of the fernws side, inclusive (callees counted), from DWARF call graphs.
HOT_SYMS="fws_loop_run lws_service __GI___poll deliver fws_lconn_event fws_decode_dispatch fws_lstate_call conn_publish
fws_lcodec_encode fws_conn_send fws_ev_push fws_conn_on_rx fws_conn_on_writeable lws_write __libc_send __libc_recv
lws_cancel_service fws_loop_new"

profile() {  # profile NAME SERVER(c|fernws) WHO(client|server) INFLIGHT
  local name=$1 server=$2 who=$3 inflight=$4 data="$TMP/perf.data"
  start_server "$server"
  echo
  echo "-- perf: the fernws $who, $name, $inflight in flight"
  if [ "$who" = client ]; then
    perf record -q -F 999 --call-graph dwarf,16384 -o "$data" -- lua5.4 "$HERE/fernws_client.lua" "ws://127.0.0.1:$SPORT" "$inflight" "$SECS" "$WARM" \
      >"$TMP/client.out" 2>"$TMP/perf.err" || { cat "$TMP/perf.err" >&2; stop_server; return 0; }
  else
    perf record -q -F 999 --call-graph dwarf,16384 -o "$data" -p "$SPID" >"$TMP/perf.out" 2>"$TMP/perf.err" &
    local ppid=$!
    PIDS+=("$ppid")
    sleep 0.3
    run_client fernws "$inflight" >"$TMP/client.out" 2>&1 || true
    kill -INT "$ppid" 2>/dev/null || true
    wait "$ppid" 2>/dev/null || true
    forget_pid "$ppid"
  fi
  stop_server
  awk '/^rate /{ printf "   %.0f rt/s while profiled", $2 } /^cpu_us_per_rt /{ printf ", client %.2f us CPU per round trip", $2 } END { print "" }' "$TMP/client.out"
  echo "   by library (self time):"
  { perf report -i "$data" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' | head -7; } || true
  echo "   fernws hot path (inclusive: the function and what it calls, percent of the process's samples):"
  perf report -i "$data" --stdio --children --sort sym 2>/dev/null | grep -E '^ +[0-9.]+%' >"$TMP/children" || true
  local s
  for s in $HOT_SYMS; do
    awk -v s="$s" '{ sym = $NF; if (sym == "(inlined)") sym = $(NF-1) } sym == s { printf "     %7s  %s\n", $1, s; exit }' "$TMP/children"
  done
  echo "   top self time outside the kernel:"
  { perf report -i "$data" --stdio --no-children --sort dso,sym 2>/dev/null |
      grep -E '^ +[0-9.]+%' | grep -v '\[k\]' | head -12; } || true
}

if [ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && [ "$MISSED" = 1 ]; }; then
  if command -v perf >/dev/null 2>&1; then
    echo
    echo "== where the time goes (a target was missed, or PROFILE=1)"
    profile "fernws client vs raw C server" c client 1
    profile "fernws client vs raw C server" c client 100
    profile "fernws -> fernws" fernws server 100
  else
    echo "(perf is not installed: no profile)"
  fi
fi
echo
echo "done; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
