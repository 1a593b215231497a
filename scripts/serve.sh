#!/usr/bin/env bash
# Builds Berth (Release, in build/) and runs `berth serve` in the foreground.
# Arguments go to `berth serve`; with none it listens on 127.0.0.1:5000 and keeps its data in
# ./berth-data (the repository root). Example: scripts/serve.sh --listen 0.0.0.0:5000 --data /srv/berth
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

echo "== configure + build berth (Release, build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_SANITIZE=OFF >/dev/null
cmake --build build --target berth

echo "== berth serve $*"
exec build/src/berth serve "$@"
