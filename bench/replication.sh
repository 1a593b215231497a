#!/usr/bin/env bash
# The replication and proxy-cache benchmark (not a test), all servers started here:
#   1. replication of REPOS repositories (each: an image of IMAGE_MIB MiB in 4 layers, and a
#      two-platform index) from one Berth to a second Berth and to Debian's docker-registry, by a
#      Berth push policy against `skopeo sync --all --preserve-digests` of the same repositories
#      into fresh copies of the same destinations: wall time of each, and the bytes Berth sent
#      against the bytes stored (a blob sent twice would show); then a second Berth run, which
#      must send nothing;
#   2. proxy-cache pull latency: an image pulled through a Berth proxy-cache project of the
#      docker-registry (cached) against the same pull straight from that docker-registry,
#      median of ROUNDS skopeo copies each.
# Usage: bench/replication.sh [--quick]   (berth_bin=... to use a built binary)
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
# shellcheck disable=SC2154 # work, out_dir, images, BENCH_PASSWORD, ADDR and SERVER_PID come from lib.sh
bench_private_namespace "$0" "$@"

repos=8 image_mib=16 rounds=5
if [[ "${1:-}" == --quick ]]; then repos=3 image_mib=4 rounds=3; fi
bench_setup
build_berth
creds="admin:$BENCH_PASSWORD"
api() {
  curl -fsS -u "$creds" -H 'Content-Type: application/json' -X "$2" "http://$1/api/v2.0$3" "${@:4}"
}

start_server berth
src=$ADDR
for i in $(seq "$repos"); do
  make_layout "repl-$i-$image_mib" --seed $((500 + i)) --layers 4 --image-mib "$image_mib"
  layout="$images/repl-$i-$image_mib"
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$layout:multi" "docker://$src/bench/r$i:1"
  skopeo copy --quiet --all --preserve-digests --dest-tls-verify=false "oci:$layout:index" "docker://$src/bench/r$i:multi"
done
stored=$(du -sb "$work/berth-data/blobs" | cut -f1)

# replicate_with_berth ADDR TYPE NAME: registers ADDR, replicates bench/** there, waits; prints
# "seconds bytes_sent blobs_sent".
replicate_with_berth() {
  local dest=$1 type=$2 name=$3 id policy location execution start status log
  api "$src" POST /registries -d "{\"name\":\"$name\",\"type\":\"$type\",\"url\":\"http://$dest\",
    \"credential\":{\"access_key\":\"admin\",\"access_secret\":\"$BENCH_PASSWORD\"}}"
  id=$(api "$src" GET "/registries?name=$name" | jq -r '.[0].id')
  api "$src" POST /replication/policies -d "{\"name\":\"$name\",\"dest_registry\":{\"id\":$id},\"enabled\":true,
    \"override\":true,\"filters\":[{\"type\":\"name\",\"value\":\"bench/**\"}]}"
  policy=$(api "$src" GET "/replication/policies?name=$name" | jq -r '.[0].id')
  for _ in 1 2; do
    start=$(now)
    location=$(api "$src" POST /replication/executions -d "{\"policy_id\":$policy}" -D - -o /dev/null | tr -d '\r' |
      sed -n 's/^Location: //Ip')
    execution=${location##*/}
    while status=$(api "$src" GET "/replication/executions/$execution" | jq -r .status) && [[ "$status" == InProgress ]]; do
      sleep 0.05
    done
    [[ "$status" == Succeed ]] || { echo "bench: replication to $name ended $status" >&2; exit 1; }
    local seconds bytes=0 blobs=0
    seconds=$(calc "$(now) - $start")
    for task in $(api "$src" GET "/replication/executions/$execution/tasks?page_size=100" | jq -r '.[].id'); do
      log=$(api "$src" GET "/replication/executions/$execution/tasks/$task/log")
      bytes=$((bytes + $(sed -n 's/.* blobs sent (\([0-9]*\) bytes).*/\1/p' <<<"$log")))
      blobs=$((blobs + $(sed -n 's/.*; \([0-9]*\) blobs sent.*/\1/p' <<<"$log")))
    done
    echo "$seconds $bytes $blobs"
  done
}

# sync_with_skopeo ADDR: skopeo sync of every repository into ADDR; prints seconds.
sync_with_skopeo() {
  local dest=$1 start
  start=$(now)
  for i in $(seq "$repos"); do
    skopeo sync --all --preserve-digests --src docker --dest docker --src-tls-verify=false \
      --dest-tls-verify=false "$src/bench/r$i" "$dest/bench" >/dev/null 2>&1 || { echo "bench: skopeo sync of r$i failed" >&2; exit 1; }
  done
  calc "$(now) - $start"
}

note "Berth -> Berth"
start_server berth dest-berth && dest_berth=$ADDR
mapfile -t berth_runs < <(replicate_with_berth "$dest_berth" harbor to-berth)
note "skopeo sync -> Berth"
start_server berth skopeo-berth && skopeo_berth=$ADDR
skopeo_to_berth=$(sync_with_skopeo "$skopeo_berth")
note "Berth -> docker-registry"
start_server distribution dest-dist && dest_dist=$ADDR
mapfile -t dist_runs < <(replicate_with_berth "$dest_dist" docker-registry to-dist)
note "skopeo sync -> docker-registry"
start_server distribution skopeo-dist && skopeo_dist=$ADDR
skopeo_to_dist=$(sync_with_skopeo "$skopeo_dist")

note "proxy cache: a cached pull against a direct pull"
api "$src" POST /registries -d "{\"name\":\"upstream\",\"type\":\"docker-registry\",\"url\":\"http://$dest_dist\"}"
up=$(api "$src" GET '/registries?name=upstream' | jq -r '.[0].id')
api "$src" POST /projects -d "{\"project_name\":\"cache\",\"registry_id\":$up}"
skopeo copy --quiet --src-tls-verify=false "docker://$src/cache/bench/r1:1" "oci:$work/warm:1"
for _ in $(seq 300); do
  api "$src" GET '/projects/cache/repositories/bench%252Fr1/artifacts' 2>/dev/null | jq -e 'length > 0' >/dev/null && break
  sleep 0.1
done
pull_time() {
  rm -rf "$work/pulled"
  local start
  start=$(now)
  skopeo copy --quiet --src-tls-verify=false "docker://$1" "oci:$work/pulled:1"
  calc "($(now) - $start) * 1000"
}
direct=() cached=()
for _ in $(seq "$rounds"); do
  direct+=("$(pull_time "$dest_dist/bench/r1:1")")
  cached+=("$(pull_time "$src/cache/bench/r1:1")")
done
read -r direct_median _ <<<"$(stats "${direct[@]}")"
read -r cached_median _ <<<"$(stats "${cached[@]}")"

read -r berth_s berth_bytes berth_blobs <<<"${berth_runs[0]}"
read -r berth2_s berth2_bytes berth2_blobs <<<"${berth_runs[1]}"
read -r dist_s dist_bytes dist_blobs <<<"${dist_runs[0]}"
read -r dist2_s dist2_bytes dist2_blobs <<<"${dist_runs[1]}"
{
  echo "replication benchmark, $(date -u +%F): $repos repositories, an image of $image_mib MiB and a 2-platform index each ($((stored / 1048576)) MiB of blobs at the source)"
  echo "  Berth -> Berth:           Berth replication ${berth_s} s, skopeo sync ${skopeo_to_berth} s (skopeo / Berth: $(calc "$skopeo_to_berth / $berth_s"))"
  echo "                            sent $((berth_bytes / 1048576)) MiB in $berth_blobs blobs; a second run: ${berth2_s} s, $berth2_blobs blobs ($berth2_bytes bytes)"
  echo "  Berth -> docker-registry: Berth replication ${dist_s} s, skopeo sync ${skopeo_to_dist} s (skopeo / Berth: $(calc "$skopeo_to_dist / $dist_s"))"
  echo "                            sent $((dist_bytes / 1048576)) MiB in $dist_blobs blobs; a second run: ${dist2_s} s, $dist2_blobs blobs ($dist2_bytes bytes)"
  echo "  proxy cache: pull of a cached $image_mib MiB image ${cached_median} ms, direct from docker-registry ${direct_median} ms (median of $rounds; cached / direct: $(calc "$cached_median / $direct_median"))"
} | tee "$out_dir/replication.txt"
