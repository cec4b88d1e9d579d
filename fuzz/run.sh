#!/bin/sh
# Runs one libFuzzer target of build-fuzz/ (fuzz/build.sh) on a scratch copy of its committed
# corpus. usage: fuzz/run.sh TARGET [SECONDS] [more libFuzzer flags]
#   TARGET: fuzz_load | fuzz_decode | fuzz_roundtrip | fuzz_wsread     SECONDS: default 60
# Scratch corpus, crashes and the log go to fuzz/findings/TARGET/ (git-ignored). The committed
# corpus is not touched; copy interesting finds back with -merge=1 by hand (keep it small).
set -eu
cd "$(dirname "$0")/.."
t=${1:?usage: fuzz/run.sh TARGET [SECONDS] [flags]}
secs=${2:-60}
[ $# -ge 2 ] && shift 2 || shift 1
bin=${FWS_FUZZ_BUILD:-build-fuzz}/fuzz/$t
[ -x "$bin" ] || { echo "no $bin: run fuzz/build.sh first" >&2; exit 2; }
case "$t" in
  fuzz_load)   dict=-dict=fuzz/dict/yaml.dict; maxlen=8192 ;;
  fuzz_wsread) dict=; maxlen=4096 ;;
  *)           dict=-dict=fuzz/dict/json.dict; maxlen=4096 ;;
esac
out=fuzz/findings/$t
mkdir -p "$out/corpus"
cp -n fuzz/corpus/$t/* "$out/corpus/" 2>/dev/null || true
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$bin" "$out/corpus" fuzz/corpus/$t $dict -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
  -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/" "$@" 2>&1 | tee "$out/last.log" |
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^(stat::|SUMMARY|==[0-9]+==ERROR|fuzz: )|runtime error|Test unit written' || true
if ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* >/dev/null 2>&1; then
  echo "FINDINGS in $out/:" && ls "$out" | grep -E '^(crash|leak|timeout|oom)-'
  exit 1
fi
