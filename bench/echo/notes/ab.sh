#!/usr/bin/env bash
# A/B of the proposed csrc patches (bench/echo/notes/patches/*.patch), in one run.
#
#   bash bench/echo/notes/ab.sh [PATCH...]     (default: each patch alone, then all together)
#
# Each variant is built from `git archive HEAD` (the committed tree, not the working copy: others
# edit csrc/ concurrently) into bench/echo/build/ab/<variant>, the baseline too. Then, interleaved
# over REPS [7] repetitions of SECS [2] seconds: the fernws client against the raw C echo server
# and fernws on both ends, 1 and 100 in flight (median rate and client CPU per round trip), plus
# system calls per round trip of the client (perf stat, 1 in flight) and the cost of creating the
# loop (time and RSS, median of 5). csrc/ itself is never touched.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ECHO=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$ECHO/../.." && pwd)
SECS=${SECS:-2}
WARM=${WARM:-0.3}
REPS=${REPS:-7}
AB="$ECHO/build/ab"
TMP=$(mktemp -d /tmp/fernws-ab.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "ab.sh: $*" >&2; exit 1; }
forget_pid() { local i; for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'; done; return 0; }

ulimit -n "$(ulimit -Hn)"
if [ $# -gt 0 ]; then PATCHES=("$@"); else PATCHES=("$HERE"/patches/*.patch); fi

# ---- build the variants ----
mkdir -p "$AB" "$ECHO/build"
gcc -O2 -o "$ECHO/build/echo_server" "$ECHO/echo_server.c" $(pkg-config --cflags --libs libwebsockets)
HEAD=$(git -C "$ROOT" rev-parse --short HEAD)
build_variant() {  # build_variant NAME [PATCH...]
  local name=$1 dir="$AB/$1"
  shift
  rm -rf "$dir/src"
  mkdir -p "$dir/src"
  git -C "$ROOT" archive HEAD CMakeLists.txt csrc lua | tar -x -C "$dir/src"
  local p
  for p in "$@"; do patch -s -p1 -d "$dir/src" <"$p" || die "$p does not apply to $HEAD"; done
  { cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DFWS_WERROR=ON &&
    cmake --build "$dir/build" -j "$(nproc)" --target fernws; } >"$dir/build.log" 2>&1 ||
    { cat "$dir/build.log" >&2; die "building $name failed"; }
}
VARIANTS=(base)
build_variant base
for p in "${PATCHES[@]}"; do
  n=$(basename "$p" .patch)
  n=${n%%-*}
  VARIANTS+=("p$n")
  build_variant "p$n" "$p"
done
if [ ${#PATCHES[@]} -gt 1 ]; then
  VARIANTS+=(all)
  build_variant all "${PATCHES[@]}"
fi
echo "HEAD $HEAD; variants: ${VARIANTS[*]}"
for i in "${!PATCHES[@]}"; do echo "  p$(basename "${PATCHES[$i]}" .patch | cut -d- -f1) = $(basename "${PATCHES[$i]}")"; done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

use() { export LUA_CPATH="$AB/$1/build/?.so;;" LUA_PATH="$AB/$1/src/lua/?.lua;;"; }

SPID="" SPORT=""
start_server() {  # c | fernws (with the current LUA_CPATH)
  : >"$TMP/server.out"
  if [ "$1" = c ]; then "$ECHO/build/echo_server" >"$TMP/server.out" 2>&1 &
  else lua5.4 "$ECHO/fernws_server.lua" >"$TMP/server.out" 2>&1 &
  fi
  SPID=$!
  PIDS+=("$SPID")
  local i
  for i in $(seq 100); do
    SPORT=$(awk '/^port /{print $2}' "$TMP/server.out")
    [ -n "$SPORT" ] && return 0
    sleep 0.05
  done
  die "server $1 did not start"
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; forget_pid "$SPID"; }

RES="$TMP/res"
: >"$RES"
CONFIGS=("c 1" "c 100" "fernws 1" "fernws 100")
for rep in $(seq "$REPS"); do
  for v in "${VARIANTS[@]}"; do
    use "$v"
    for cfg in "${CONFIGS[@]}"; do
      read -r server inflight <<<"$cfg"
      start_server "$server"
      lua5.4 "$ECHO/fernws_client.lua" "ws://127.0.0.1:$SPORT" "$inflight" "$SECS" "$WARM" >"$TMP/out" 2>&1 ||
        { cat "$TMP/out" >&2; die "client failed ($v $cfg)"; }
      stop_server
      echo "$v $server.$inflight $(awk '/^rate /{r=$2} /^cpu_us_per_rt /{c=$2} END {print r, c}' "$TMP/out")" >>"$RES"
    done
  done
  echo " repetition $rep done"
done

median() {  # median VARIANT CONFIG FIELD(3 rate, 4 cpu)
  awk -v v="$1" -v c="$2" -v f="$3" '$1 == v && $2 == c { print $f }' "$RES" | sort -g |
    awk '{ x[NR] = $1 } END { print (NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2) }'
}
range() {  # range VARIANT CONFIG: min-max rate in k
  awk -v v="$1" -v c="$2" '$1 == v && $2 == c { print $3 }' "$RES" | sort -g |
    awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0fk", lo / 1000, hi / 1000 }'
}

# system calls per round trip (1 in flight, fernws client, raw C server) and loop creation cost
cat >"$TMP/startup.lua" <<EOF
local fernws = require "fernws"
local function rss() local f = io.open("/proc/self/statm"); local _, r = f:read("n", "n"); f:close(); return r * 4 end
local r0, t0 = rss(), fernws.now()
fernws.poll(0)
print(string.format("%.2f %d", (fernws.now() - t0) * 1e3, rss() - r0))
EOF
declare -A SYSC STMS STKB
syscalls_per_rt() {  # syscalls_per_rt SERVER INFLIGHT: of the fernws client, over its whole run
  start_server "$1"
  if perf stat -x, -e raw_syscalls:sys_enter -o "$TMP/perf" lua5.4 "$ECHO/fernws_client.lua" "ws://127.0.0.1:$SPORT" "$2" 2 0 >"$TMP/out" 2>&1; then
    local total calls
    total=$(awk '/^count /{print $4}' "$TMP/out")
    calls=$(awk -F, '/raw_syscalls/{print $1}' "$TMP/perf")
    awk -v a="$calls" -v b="$total" 'BEGIN { printf "%.2f", a / b }'
  else
    printf -- "-"
  fi
  stop_server
}
for v in "${VARIANTS[@]}"; do
  use "$v"
  SYSC[$v]="$(syscalls_per_rt c 1) / $(syscalls_per_rt c 100) / $(syscalls_per_rt fernws 100)"
  for i in 1 2 3 4 5; do lua5.4 "$TMP/startup.lua"; done >"$TMP/st"
  STMS[$v]=$(awk '{print $1}' "$TMP/st" | sort -g | sed -n 3p)
  STKB[$v]=$(awk '{print $2}' "$TMP/st" | sort -g | sed -n 3p)
done

echo
echo "rate: median (+/- vs base) and range over $REPS runs of ${SECS} s; us: client CPU per round trip (median)"
echo "| variant | client vs raw C server, 1 | 100 | fernws both ends, 1 | 100 | client syscalls/rt (C srv 1 / 100, fernws srv 100) | loop creation |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for v in "${VARIANTS[@]}"; do
  line="| $v"
  for cfg in c.1 c.100 fernws.1 fernws.100; do
    r=$(median "$v" "$cfg" 3)
    c=$(median "$v" "$cfg" 4)
    b=$(median base "$cfg" 3)
    line="$line | $(awk -v r="$r" -v c="$c" -v b="$b" -v v="$v" -v g="$(range "$v" "$cfg")" 'BEGIN { if (v == "base") printf "%.0f [%s] %.2f us", r, g, c; else printf "%.0f (%+.0f%%) [%s] %.2f us", r, (r / b - 1) * 100, g, c }')"
  done
  echo "$line | ${SYSC[$v]} | ${STMS[$v]} ms, +${STKB[$v]} KB |"
done
cp "$RES" "$AB/results.txt"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); samples in $AB/results.txt"
