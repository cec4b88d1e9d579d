#!/bin/sh
# Installs what is missing, builds fernws, and runs the demo (examples/chat.lua): a mock server for
# the chat channel and a typed client, talking over loopback.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
dir=$(sh scripts/build.sh release)
. scripts/env.sh "$dir"
exec lua5.4 examples/chat.lua
