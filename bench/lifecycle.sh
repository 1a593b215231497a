#!/usr/bin/env bash
# The storage lifecycle benchmark (not a test):
#   1. garbage collection over a registry filled with ARTIFACTS artifacts in REPOS repositories
#      (9 layers and a config each: ARTIFACTS * 10 blob references; 30 % of the blobs
#      unreferenced, their files on disk): wall time and peak RSS of `berth gc --grace 0s --workers 2`
#      (the server's GC job runs the same collect_garbage);
#   2. a tag retention dry run over the same artifacts (keep the 10 newest of each repository),
#      through the server's API: the execution's own duration (bench/retention_dry_run.py);
#   3. the cost of quota accounting on the push path: tiny-image pushes per second into a project
#      without a quota and with one, alternating, in the same server; with BASE_BERTH set (a berth
#      built before accounting existed), that binary's rate too.
# Usage: bench/lifecycle.sh [--quick]   (quick: 10,000 artifacts and fewer pushes)
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
# shellcheck disable=SC2154 # work, out_dir, BENCH_PASSWORD, ADDR and SERVER_PID come from lib.sh

artifacts=100000 repos=1000 rounds=3 pushes=150
if [[ "${1:-}" == --quick ]]; then artifacts=10000 repos=100 rounds=2 pushes=60; fi
bench_setup
build_berth

note "filling $artifacts artifacts in $repos repositories"
gc_data="$work/gc-data"
BERTH_ADMIN_PASSWORD="$BENCH_PASSWORD" "$berth_bin" admin project create bench --data "$gc_data" >/dev/null
python3 "$repo_root/bench/lifecycle_fill.py" "$gc_data" "$artifacts" "$repos" 9 0.3 >&2
unreferenced=$(sqlite3 "$gc_data/meta.db" "SELECT COUNT(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM manifests m
  WHERE m.digest = b.digest) AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest)")
sync
note "garbage collection"
/usr/bin/time -f '%e %M' -o "$work/gc.time" "$berth_bin" gc --grace 0s --workers 2 --data "$gc_data" >"$work/gc.log"
read -r gc_seconds gc_kib <"$work/gc.time"
grep 'finished' "$work/gc.log" >&2
# The fill writes files only for the unreferenced blobs, so fsck counts every referenced one as
# missing: its last line shows the accounting it checked, not a clean bill.
{ "$berth_bin" fsck --data "$gc_data" || true; } | tail -1 >&2

note "retention dry run"
serve_data "$gc_data" "$work/retention.log"
read -r retention_seconds retention_tasks retention_doomed \
  <<<"$(python3 "$repo_root/bench/retention_dry_run.py" "$ADDR" "$BENCH_PASSWORD" bench)"
stop_server "$SERVER_PID"

# push_rate ADDR PREFIX: one measurement (pushes/s) of 4 threads.
push_rate() { python3 "$repo_root/bench/push_rate.py" "$1" "$2" 4 $((pushes / 4)) admin "$BENCH_PASSWORD"; }

note "push rate with and without a quota"
start_server berth
curl -fsS -u "admin:$BENCH_PASSWORD" -H 'Content-Type: application/json' -X POST "http://$ADDR/api/v2.0/projects" \
  -d '{"project_name":"quota","storage_limit":1099511627776}' >/dev/null
off=() on=()
for round in $(seq "$rounds"); do
  off+=("$(push_rate "$ADDR" "bench/r$round")")
  on+=("$(push_rate "$ADDR" "quota/r$round")")
done
stop_server "$SERVER_PID"
base=()
if [[ -n "${BASE_BERTH:-}" ]]; then
  berth_bin="$BASE_BERTH" start_server berth
  for round in $(seq "$rounds"); do base+=("$(push_rate "$ADDR" "bench/r$round")"); done
  stop_server "$SERVER_PID"
fi

read -r off_median _ <<<"$(stats "${off[@]}")"
read -r on_median _ <<<"$(stats "${on[@]}")"
{
  echo "lifecycle benchmark, $(date -u +%F)"
  echo "  gc of $artifacts artifacts in $repos repositories ($((artifacts * 10)) blob references, $unreferenced unreferenced blobs): ${gc_seconds} s, peak RSS $((gc_kib / 1024)) MiB"
  echo "  tiny-image pushes/s (median of $rounds, 4 threads): no quota $off_median, with a quota $on_median (ratio $(calc "$on_median / $off_median"))"
  if ((${#base[@]})); then
    read -r base_median _ <<<"$(stats "${base[@]}")"
    echo "  before accounting existed ($BASE_BERTH): $base_median (now without a quota / before: $(calc "$off_median / $base_median"))"
  fi
  echo "  retention dry run over them (latestPushedK 10): ${retention_seconds} s, $retention_tasks tasks, $retention_doomed artifacts would go"
} | tee "$out_dir/lifecycle.txt"
