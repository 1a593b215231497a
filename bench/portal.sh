#!/usr/bin/env bash
# The portal benchmark (not a test): how fast pages render in Debian's chromium with a project
# that holds 10,000 repositories and 100,000 artifacts (metadata filled by bench/lifecycle_fill.py,
# as many pushes would leave it), berth on loopback. bench/portal_render.mjs keeps the clock in
# the page: from the start of a navigation (or a click) until the page's rows are in the DOM.
# Writes bench/out/portal.txt. Usage: bench/portal.sh [--quick]   (quick: 1,000 repositories)
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
# shellcheck disable=SC2154 # work, out_dir and BENCH_PASSWORD come from lib.sh

artifacts=100000 repos=10000 rounds=9
if [[ "${1:-}" == --quick ]]; then artifacts=10000 repos=1000 rounds=5; fi
bench_setup
build_berth

note "filling $artifacts artifacts in $repos repositories of project bench"
data="$work/portal-data"
BERTH_ADMIN_PASSWORD="$BENCH_PASSWORD" "$berth_bin" admin project create bench --data "$data" >/dev/null
python3 "$repo_root/bench/lifecycle_fill.py" "$data" "$artifacts" "$repos" 3 0 >&2

serve_data "$data" "$work/portal.log"
repository=$(curl -fsS -u "admin:$BENCH_PASSWORD" "http://$ADDR/api/v2.0/projects/bench/repositories?page=1&page_size=1" |
  jq -r '.[0].name | sub("^bench/"; "")')

note "rendering (median of $rounds)"
results=$(node "$repo_root/bench/portal_render.mjs" "$ADDR" "$BENCH_PASSWORD" bench "$repository" "$rounds")
stop_server "$SERVER_PID"
{
  echo "portal benchmark, $(date -u +%F): project bench with $repos repositories and $artifacts artifacts, chromium headless"
  jq -r '"  \(.case): median \(.median_ms) ms, slowest \(.max_ms) ms"' <<<"$results"
} | tee "$out_dir/portal.txt"
