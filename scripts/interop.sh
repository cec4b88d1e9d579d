#!/bin/bash
# The interoperability suite: the official TypeScript SDKs that Fern generates for Hume
# (hume@0.16.0) and Deepgram (@deepgram/sdk@5.13.0) against fernws, both ways, on loopback
# (scripts/interop/*.js; the fernws end is scripts/interop/peer.lua): Hume's EVI chat and Deepgram's
# speak from the Fern fixtures, and Deepgram's speak, listen v1/v2 and agent from the AsyncAPI
# deepgram-3.0 document. Needs node and npm, which the unit suite does not. The SDKs, and the
# TypeScript compiler (typescript@5.9.3) that reads the declarations Deepgram's SDK ships in place of
# runtime schemas, are installed into a scratch folder outside the tree: $FWS_INTEROP_NODE, by
# default ~/.cache/fernws-interop (kept between runs). Differences between the fixtures and the
# newer SDKs are named ("DIFF"), not counted as failures.
# Ends with "interop: N passed, N failed, N differences named"; exit 1 when a check failed.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
node_dir=${FWS_INTEROP_NODE:-${XDG_CACHE_HOME:-$HOME/.cache}/fernws-interop}
fixtures=${FWS_FIXTURES:-$root/../shared/fixtures}
give_up() {
  echo "interop: $1"
  echo "interop: 0 passed, 1 failed, 0 differences named"
  exit 1
}
command -v node >/dev/null && command -v npm >/dev/null || give_up "node and npm are needed"
[ -d "$fixtures/fern/hume" ] && [ -d "$fixtures/fern/deepgram" ] && [ -d "$fixtures/asyncapi/deepgram-3.0" ] ||
  give_up "no fixtures at $fixtures"
installed() {
  grep -q '"version": "0.16.0"' "$node_dir/node_modules/hume/package.json" 2>/dev/null &&
    grep -q '"version": "5.13.0"' "$node_dir/node_modules/@deepgram/sdk/package.json" 2>/dev/null &&
    grep -q '"version": "5.9.3"' "$node_dir/node_modules/typescript/package.json" 2>/dev/null
}
case "$node_dir" in "$root"|"$root"/*) give_up "FWS_INTEROP_NODE must be outside the tree" ;; esac
if ! installed; then
  mkdir -p "$node_dir" || give_up "cannot create $node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name": "fernws-interop", "private": true}' > "$node_dir/package.json"
  echo "== npm install hume@0.16.0 @deepgram/sdk@5.13.0 typescript@5.9.3 into $node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error hume@0.16.0 @deepgram/sdk@5.13.0 typescript@5.9.3) ||
    give_up "npm install failed"
  installed || give_up "the SDKs are not at the expected versions in $node_dir"
fi
dir=$(sh scripts/build.sh test) || give_up "build failed"
echo "== interop (SDKs in $node_dir)"
# the SDKs write their own warnings to stderr ("Failed to validate." for a message they parse
# leniently): kept in a file, shown when a check failed
errlog="$root/$dir/interop.stderr"
( . scripts/env.sh "$dir"
  FWS_INTEROP_NODE=$node_dir FWS_FIXTURES=$fixtures timeout 300 node scripts/interop/run.js hume deepgram deepgram_asyncapi ) 2>"$errlog"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "== stderr of the interop run ($errlog)"
  tail -40 "$errlog"
fi
exit "$rc"
