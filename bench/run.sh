#!/usr/bin/env bash
# Berth vs Debian's docker-registry (CNCF distribution, the engine inside Harbor), side by side
# on loopback, same machine, same run: ratios, not absolute numbers. Not a test; CI never runs it.
#
#   bench/run.sh [--quick] [--berth PATH] [--distribution-only]
#
#   --quick              smaller images, 40 tiny images, 3 s load runs (a minute or two in all)
#   --berth PATH         use this berth binary instead of building build/src/berth (Release)
#   --distribution-only  measure docker-registry alone (while berth does not build yet)
#
# Measures, for each server: skopeo push and pull MB/s (two image sizes), manifest GET and /v2/
# requests/s (wrk -c32 -t2; with a bearer token, and with basic credentials on every request), manifest HEAD and blob HEAD requests/s (hey -c 32), blob GET MB/s
# with 1 and 4 parallel curl clients, push rate of many tiny images (images/s, 4 skopeo
# processes) and the server's CPU time per tiny image, and peak RSS (VmHWM).
# Prints a markdown table and writes it, with the raw numbers, to bench/out/.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

all_args=("$@")
quick=0
berth_bin=
distribution_only=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --berth) berth_bin=$(realpath "$2"); shift ;; # absolute: the run may re-exec itself
    --distribution-only) distribution_only=1 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
bench_private_namespace "$0" "${all_args[@]}"
bench_setup

if ((quick)); then
  MID_MIB=8 BIG_MIB=32 TINY=40 WRK_SECS=3
else
  MID_MIB=50 BIG_MIB=512 TINY=200 WRK_SECS=10
fi

# ---------------------------------------------------------------------------------------------
# berth binary
if ((distribution_only)); then
  note "--distribution-only: berth is not measured"
else
  build_berth
fi
for tool in skopeo docker-registry wrk hey curl jq python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

# ---------------------------------------------------------------------------------------------
# Test images, as OCI layouts, cached in bench/out/images.
make_layout small --seed 11 --no-index
make_layout "mib$MID_MIB" --seed 12 --no-index --image-mib "$MID_MIB"
make_layout "mib$BIG_MIB" --seed 13 --no-index --image-mib "$BIG_MIB"
make_layout "tiny$TINY" --seed 14 --no-index --no-multi --tiny "$TINY"

# biggest_layer LAYOUT: digest of the largest layer of 'multi'.
biggest_layer() {
  local m
  m=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "multi") | .digest' "$1/index.json")
  jq -r '.layers | max_by(.size) | .digest' "$1/blobs/sha256/${m#sha256:}"
}

# ---------------------------------------------------------------------------------------------
# Servers (bench/lib.sh starts them). wrk, hey and curl send the bearer token a client would get
# from /service/token (AUTH_HEADER, set by measure()).
AUTH_HEADER=""

# bearer_header ADDR REPO...: "Authorization: Bearer <token>" with pull access to the repositories.
bearer_header() {
  local addr=$1 query="service=berth-registry" repo
  shift
  for repo in "$@"; do query+="&scope=repository:$repo:pull"; done
  echo "Authorization: Bearer $(curl -fsS -u "admin:$BENCH_PASSWORD" "http://$addr/service/token?$query" | jq -r .token)"
}

# ---------------------------------------------------------------------------------------------
# Measurements. Each sets R[kind/figure].
declare -A R
FIGURES=()
figure() { # KEY "LABEL"
  local k
  for k in "${FIGURES[@]}"; do [[ "$k" == "$1" ]] && return; done
  FIGURES+=("$1")
  LABEL[$1]=$2
}
declare -A LABEL

# push_mbps KIND LAYOUT REPO: skopeo push of 'multi'; MB/s (10^6 bytes).
skopeo_push_secs() {
  local t0 t1
  # Start from an idle disk: both servers fsync a blob before its 201 (distribution's
  # filesystem driver syncs the upload's data file at commit), and each fsync would otherwise
  # wait behind the write-back of whatever came before (the pulls, the other server's data).
  sync
  t0=$(now)
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$1:multi" "docker://$ADDR/$2" >&2
  t1=$(now)
  calc "$t1 - $t0"
}
skopeo_pull_secs() {
  local t0 t1 dest="$work/pull-$RANDOM"
  t0=$(now)
  skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$ADDR/$1" "oci:$dest:x" >&2
  t1=$(now)
  rm -rf "$dest"
  calc "$t1 - $t0"
}

# wrk_rps URL [HEADER]: GET requests/s with wrk -c32 -t2; a trailing ! marks failed requests.
wrk_rps() {
  local url=$1 header=${2:-} out rps
  local args=(-c32 -t2 "-d${WRK_SECS}s" --latency)
  [[ -n "$header" ]] && args+=(-H "$header")
  [[ -n "$AUTH_HEADER" ]] && args+=(-H "$AUTH_HEADER")
  out=$(wrk "${args[@]}" "$url" 2>&1)
  printf '== wrk GET %s\n%s\n' "$url" "$out" >>"$work/load.log"
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    note "wrk GET $url had errors: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ')"
    rps="${rps:-0}!"
  fi
  echo "${rps:-0}"
}

# hey_head_rps URL [HEADER]: HEAD requests/s with 32 keep-alive connections. wrk cannot measure
# HEAD: its parser waits for the body that the Content-Length of a HEAD response announces.
hey_head_rps() {
  local url=$1 header=${2:-} out rps
  local args=(-m HEAD -c 32 -z "${WRK_SECS}s")
  [[ -n "$header" ]] && args+=(-H "$header")
  [[ -n "$AUTH_HEADER" ]] && args+=(-H "$AUTH_HEADER")
  out=$(hey "${args[@]}" "$url" 2>&1)
  printf '== hey HEAD %s\n%s\n' "$url" "$out" >>"$work/load.log"
  rps=$(awk '/Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  if grep -q 'Error distribution' <<<"$out" || grep -E '^\s+\[[0-9]+\]' <<<"$out" | grep -qv '\[200\]'; then
    note "hey HEAD $url had errors or non-200 answers"
    rps="${rps:-0}!"
  fi
  echo "${rps:-0}"
}

# curl_get_mbps URL PARALLEL: MB/s over PARALLEL simultaneous full GETs of URL; best of 3.
curl_get_mbps() {
  local url=$1 n=$2 best=0 t0 t1 bytes i mbps
  for _ in 1 2 3; do
    t0=$(now)
    for i in $(seq "$n"); do
      curl -fsS -o /dev/null -w '%{size_download}\n' ${AUTH_HEADER:+-H "$AUTH_HEADER"} "$url" >"$work/curl-$i" &
    done
    wait # runs in a $(...) subshell: waits for these curls only
    t1=$(now)
    bytes=0
    for i in $(seq "$n"); do bytes=$((bytes + $(cat "$work/curl-$i"))); done
    mbps=$(calc "$bytes / 1000000 / ($t1 - $t0)")
    best=$(awk -v a="$best" -v b="$mbps" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$best"
}

MANIFEST_ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json"

measure() { # KIND
  local kind=$1
  note "=== $kind"
  start_server "$kind"
  local pid=$SERVER_PID base="http://$ADDR"
  note "$kind on $ADDR (pid $pid)"

  # Log in once first, as a user does (`podman login`): the password check (argon2id, about
  # 60 ms) then happens here, not inside the first timed push.
  skopeo_login

  local secs bytes
  figure push_small "push small image (ms, lower is better)"
  secs=$(skopeo_push_secs "$images/small" bench/small:1)
  R[$kind/push_small]=$(calc "$secs * 1000")

  for size in "$MID_MIB" "$BIG_MIB"; do
    bytes=$(image_bytes "$images/mib$size")
    note "$kind: push + pull $size MiB"
    figure "push_$size" "skopeo push MB/s, $size MiB image"
    secs=$(skopeo_push_secs "$images/mib$size" "bench/mib$size:1")
    R[$kind/push_$size]=$(calc "$bytes / 1000000 / $secs")
    figure "pull_$size" "skopeo pull MB/s, $size MiB image"
    secs=$(skopeo_pull_secs "bench/mib$size:1")
    R[$kind/pull_$size]=$(calc "$bytes / 1000000 / $secs")
  done

  local small_digest small_layer big_layer
  small_digest=$(jq -r '.manifests[0].digest' "$images/small/index.json")
  small_layer=$(jq -r '.layers[0].digest' "$images/small/blobs/sha256/${small_digest#sha256:}")
  big_layer=$(biggest_layer "$images/mib$BIG_MIB")

  AUTH_HEADER=""
  [[ "$kind" == berth ]] && AUTH_HEADER=$(bearer_header "$ADDR" bench/small "bench/mib$BIG_MIB" bench/tiny)

  note "$kind: request rates"
  figure wrk_manifest_get "manifest GET by tag (req/s)"
  R[$kind/wrk_manifest_get]=$(wrk_rps "$base/v2/bench/small/manifests/1" "$MANIFEST_ACCEPT")
  figure hey_manifest_head "manifest HEAD by tag (req/s, hey)"
  R[$kind/hey_manifest_head]=$(hey_head_rps "$base/v2/bench/small/manifests/1" "$MANIFEST_ACCEPT")
  figure hey_blob_head "blob HEAD (req/s, hey)"
  R[$kind/hey_blob_head]=$(hey_head_rps "$base/v2/bench/small/blobs/$small_layer")
  figure wrk_v2 "GET /v2/ (req/s)"
  R[$kind/wrk_v2]=$(wrk_rps "$base/v2/")
  # Clients that send basic credentials on every request (curl, CI scripts, some Helm set-ups).
  local basic_header
  basic_header="Authorization: Basic $(printf 'admin:%s' "$BENCH_PASSWORD" | base64 -w0)"
  figure wrk_v2_basic "GET /v2/ with basic auth (req/s)"
  R[$kind/wrk_v2_basic]=$(AUTH_HEADER="$basic_header" wrk_rps "$base/v2/")
  figure wrk_manifest_basic "manifest GET by tag, basic auth (req/s)"
  R[$kind/wrk_manifest_basic]=$(AUTH_HEADER="$basic_header" wrk_rps "$base/v2/bench/small/manifests/1" "$MANIFEST_ACCEPT")

  note "$kind: blob GET"
  local big_size
  big_size=$(stat -c %s "$images/mib$BIG_MIB/blobs/sha256/${big_layer#sha256:}")
  figure blob_get_1 "blob GET MB/s, 1 client ($((big_size / 1048576)) MiB blob)"
  R[$kind/blob_get_1]=$(curl_get_mbps "$base/v2/bench/mib$BIG_MIB/blobs/$big_layer" 1)
  figure blob_get_4 "blob GET MB/s, 4 parallel clients"
  R[$kind/blob_get_4]=$(curl_get_mbps "$base/v2/bench/mib$BIG_MIB/blobs/$big_layer" 4)

  note "$kind: push $TINY tiny images (4 skopeo processes)"
  figure tiny_rate "push rate, $TINY tiny images (images/s)"
  local t0 t1 cpu0 cpu1
  cpu0=$(cpu_ticks "$pid")
  t0=$(now)
  seq 0 $((TINY - 1)) | xargs -P4 -I{} bash -c \
    'n=$(printf "%03d" {}); skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$0:tiny-$n" "docker://$1/bench/tiny:$n"' \
    "$images/tiny$TINY" "$ADDR"
  t1=$(now)
  cpu1=$(cpu_ticks "$pid")
  R[$kind/tiny_rate]=$(calc "$TINY / ($t1 - $t0)")
  figure tiny_cpu "server CPU per tiny image pushed (ms, lower is better)"
  R[$kind/tiny_cpu]=$(calc "($cpu1 - $cpu0) * 1000 / $(getconf CLK_TCK) / $TINY")
  local tags
  tags=$(curl -fsS ${AUTH_HEADER:+-H "$AUTH_HEADER"} "$base/v2/bench/tiny/tags/list?n=10000" | jq '.tags | length')
  [[ "$tags" == "$TINY" ]] || note "$kind: expected $TINY tiny tags, found $tags"

  figure rss "peak RSS MiB (VmHWM, lower is better)"
  R[$kind/rss]=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")

  stop_server "$pid"
}

kinds=()
((distribution_only)) || kinds+=(berth)
kinds+=(distribution)
for kind in "${kinds[@]}"; do
  if [[ "$kind" == distribution ]]; then
    measure_kind=docker-registry
  else
    measure_kind=berth
  fi
  measure "$measure_kind"
  # store under the table's column name
  for k in "${FIGURES[@]}"; do
    [[ -v "R[$measure_kind/$k]" ]] && R[$kind/$k]=${R[$measure_kind/$k]}
  done
done

# ---------------------------------------------------------------------------------------------
# Report
stamp=$(date -u +%Y%m%d-%H%M%S)
md="$out_dir/results-$stamp.md"
tsv="$out_dir/results-$stamp.tsv"
berth_rev=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "# Berth benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')$( ((quick)) && echo ' (--quick)')"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)."
  echo "berth $berth_rev$( ((distribution_only)) && echo ' (not measured)'); $(docker-registry --version 2>/dev/null | awk '{print $2, $3}');" \
    "$(skopeo --version); GET rates: wrk -c32 -t2 -d${WRK_SECS}s; HEAD rates: hey -c 32 -z ${WRK_SECS}s. Servers and clients share the machine."
  echo
  echo "| figure | berth | distribution | ratio berth/distribution |"
  echo "|---|---:|---:|---:|"
  for k in "${FIGURES[@]}"; do
    b=${R[berth/$k]:-n/a}
    d=${R[distribution/$k]:-n/a}
    ratio=n/a
    if [[ "$b" =~ ^[0-9.]+$ && "$d" =~ ^[0-9.]+$ ]] && awk -v d="$d" 'BEGIN { exit !(d > 0) }'; then
      ratio=$(calc "$b / $d")
    fi
    echo "| ${LABEL[$k]} | $b | $d | $ratio |"
  done
  echo
  echo "A value ending in ! had failed requests (see load-$stamp.log). MB = 10^6 bytes."
} >"$md"
{
  printf 'figure\tberth\tdistribution\n'
  for k in "${FIGURES[@]}"; do printf '%s\t%s\t%s\n' "$k" "${R[berth/$k]:-}" "${R[distribution/$k]:-}"; done
} >"$tsv"
cp "$work/load.log" "$out_dir/load-$stamp.log" 2>/dev/null || true
cp "$md" "$out_dir/latest.md"

cat "$md"
echo
echo "written: $md, $tsv" >&2
