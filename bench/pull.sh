#!/usr/bin/env bash
# skopeo pulls from Berth and from Debian's docker-registry (CNCF distribution), side by side:
# both servers run at once with the same image, and the timed pulls alternate between them, so
# that a change of machine load hits both alike. Not a test; CI never runs it.
#
#   bench/pull.sh [--reps N] [--mib N] [--berth PATH] [--dest DIR] [--quick]
#
#   --reps N      timed rounds per figure (default 5); each round pulls from both servers,
#                 the order swapped every round
#   --mib N       image size (default 512: a config and three layers of 170 MiB)
#   --berth PATH  use this berth binary instead of building build/src/berth (Release)
#   --dest DIR    where skopeo writes the pulled images (default: a directory in /dev/shm, so that
#                 the figures are the registry's and the client's, not the disk's: four pulls
#                 write 2 GiB, and skopeo fsyncs each blob)
#   --quick       --mib 32 --reps 3
#
# Figures: MB/s (10^6 bytes) of one `skopeo copy docker://... oci:...` and of four at once (all
# four images' bytes over the time until the last one finished); median, min-max and the ratio of
# the medians. Berth is pulled as a client would: skopeo logged in once, then the token flow on
# every pull (401, /service/token with basic credentials, bearer token); docker-registry has no
# authentication. Each timed run starts after `sync`, from an idle disk. The load average before
# and after is printed with the table; timing figures mean little above about 1.5 on 2 cores.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

all_args=("$@")
reps=5
mib=512
berth_bin=
dest_parent=
while (($#)); do
  case "$1" in
    --reps) reps=$2; shift ;;
    --mib) mib=$2; shift ;;
    --berth) berth_bin=$(realpath "$2"); shift ;; # absolute: the run may re-exec itself
    --dest) dest_parent=$(realpath "$2"); shift ;;
    --quick) mib=32 reps=3 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "pull: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "$reps" =~ ^[1-9][0-9]*$ && "$mib" =~ ^[1-9][0-9]*$ ]] || { echo "pull: --reps and --mib take a positive number" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
bench_private_namespace "$0" "${all_args[@]}"
bench_setup
build_berth
for tool in skopeo docker-registry curl jq python3; do
  command -v "$tool" >/dev/null || { echo "pull: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

if [[ -z "$dest_parent" && -d /dev/shm && -w /dev/shm ]]; then dest_parent=/dev/shm; fi
dest=$(mktemp -d "${dest_parent:-$work}/berth-pull.XXXXXX")
trap 'rm -rf "$dest"; cleanup' EXIT

layout="$images/mib$mib"
make_layout "mib$mib" --seed 13 --no-index --image-mib "$mib" # the image bench/run.sh pulls
bytes=$(image_bytes "$layout")

declare -A ADDRS
for kind in berth distribution; do
  start_server "$([[ $kind == berth ]] && echo berth || echo docker-registry)"
  ADDRS[$kind]=$ADDR
  skopeo_login
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$layout:multi" "docker://$ADDR/bench/pull:1" >&2
done
note "berth on ${ADDRS[berth]}, docker-registry on ${ADDRS[distribution]}; $bytes bytes an image"

# pull_secs KIND N: seconds for N simultaneous skopeo pulls of the image from KIND.
pull_secs() {
  local addr=${ADDRS[$1]} n=$2 i t0 t1 failed=0
  local jobs=()
  sync
  t0=$(now)
  for i in $(seq "$n"); do
    skopeo copy --quiet --src-tls-verify=false "docker://$addr/bench/pull:1" "oci:$dest/out-$i:x" >&2 &
    jobs+=($!)
  done
  for i in "${jobs[@]}"; do wait "$i" || failed=1; done
  t1=$(now)
  rm -rf "$dest"/out-*
  ((failed == 0)) || { echo "pull: a skopeo pull from $1 failed" >&2; exit 1; }
  calc "$t1 - $t0"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
stamp=$(date -u +%Y%m%d-%H%M%S)
tsv="$out_dir/pull-$stamp.tsv"
printf 'parallel\tround\tserver\tseconds\tMB/s\n' >"$tsv"
declare -A MBPS
for n in 1 4; do
  for round in $(seq "$reps"); do
    order=(berth distribution)
    ((round % 2 == 0)) && order=(distribution berth)
    for kind in "${order[@]}"; do
      secs=$(pull_secs "$kind" "$n")
      mbps=$(calc "$n * $bytes / 1000000 / $secs")
      MBPS[$kind/$n]+="$mbps "
      printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$round" "$kind" "$secs" "$mbps" >>"$tsv"
      note "$n parallel, round $round, $kind: $secs s, $mbps MB/s (load $(cut -d' ' -f1 /proc/loadavg))"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

md="$out_dir/pull-$stamp.md"
{
  echo "# skopeo pulls, berth and distribution alternating, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr); berth $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "$(docker-registry --version 2>/dev/null | awk '{print $2, $3}'), $(skopeo --version)."
  echo "Image: $mib MiB ($bytes bytes), pulled into ${dest_parent:-$work}; $reps rounds, order swapped every round; load average before: $load_before, after: $load_after."
  echo
  echo "| figure | berth median (min-max) | distribution median (min-max) | ratio of medians |"
  echo "|---|---:|---:|---:|"
  for n in 1 4; do
    read -ra values <<<"${MBPS[berth/$n]}"
    read -r bm blo bhi <<<"$(stats "${values[@]}")"
    read -ra values <<<"${MBPS[distribution/$n]}"
    read -r dm dlo dhi <<<"$(stats "${values[@]}")"
    label="skopeo pull MB/s, $n at once"
    ((n == 1)) && label="skopeo pull MB/s, 1 pull"
    echo "| $label | $bm ($blo-$bhi) | $dm ($dlo-$dhi) | $(calc "$bm / $dm") |"
  done
} >"$md"
cat "$md"
echo
echo "written: $md, $tsv" >&2
