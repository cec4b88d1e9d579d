#!/bin/sh
# Installs what fernws needs to build and test, on Debian 12 (run as root, or with sudo present).
# Idempotent: packages already present are not fetched again.
set -eu
PKGS="gcc make cmake pkg-config lua5.4 liblua5.4-dev libyaml-dev libwebsockets-dev libssl-dev
libpcre2-dev lua-cjson lua-busted luarocks python3-websockets openssl ca-certificates valgrind
lua-luv lua-cqueues"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "fernws setup: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
