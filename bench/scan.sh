#!/usr/bin/env bash
# Scanner benchmark: wall time and peak memory (RSS) of
#   - importing the sample vulnerability database (tests/data/vulndb-sample: the Debian tracker,
#     Alpine secdb, AlmaLinux, Go, crates.io, PyPI, RubyGems and npm advisories),
#   - `berth scan` of a Debian bookworm minbase image (debootstrap, packed as one gzip layer),
#   - `berth scan` of a ~500 MiB image made of this machine's /usr/bin, /usr/lib/python3 and
#     /usr/libexec (3 gzip layers: executables, several of them Go programs, and Python packages).
# Each is run 3 times; the table gives the median time and the largest peak RSS. Not a test.
#
#   bench/scan.sh [--berth PATH]
#
# Needs root for debootstrap the first time (the packed root filesystem is kept in
# build/test-cache, where the client tests keep it too).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
berth_bin=
while (($#)); do
  case "$1" in
    --berth) berth_bin=$(realpath "$2"); shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench/scan: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$berth_bin" ]]; then
  echo "bench/scan: building berth (Release, build/)" >&2
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target berth >&2
  berth_bin="$repo_root/build/src/berth"
fi

out="$repo_root/bench/out"
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$repo_root/build/test-cache"
sample="$repo_root/tests/data/vulndb-sample"

# measure NAME COMMAND...: runs it 3 times; records "NAME median_seconds max_rss_mib".
results=()
measure() {
  local name=$1
  shift
  local times=() rss=0 i t m
  for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" ||
      { cat "$work/stderr" >&2; echo "bench/scan: $name failed" >&2; exit 1; }
    read -r t m <"$work/time"
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  results+=("$name|$median|$((rss / 1024))")
  echo "bench/scan: $name: ${median}s, peak RSS $((rss / 1024)) MiB" >&2
}

# The database: every sample source, each imported as its own source.
import_all() {
  local data=$1
  rm -rf "$data"
  awk -F'\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "") print "bookworm\t" $1 "\t" $i }' \
    "$sample/debian/rootfs-bookworm-minbase/bookworm-source-versions.tsv" >"$work/sources.tsv"
  "$berth_bin" vulndb import --data "$data" --source debian --debian-sources "$work/sources.tsv" "$sample/debian/vuln-list-debian"
  "$berth_bin" vulndb import --data "$data" --source alpine "$sample/alpine/alpine-secdb"
  "$berth_bin" vulndb import --data "$data" --source alma "$sample/alma/almalinux9"
  for eco in go crates.io pypi; do "$berth_bin" vulndb import --data "$data" --source "$eco" "$sample/lang/$eco"; done
  "$berth_bin" vulndb import --data "$data" --source rubygems "$sample/lang/rubygems"
  "$berth_bin" vulndb import --data "$data" --source npm "$sample/lang/npm"
}
export -f import_all
export berth_bin sample work
measure "import the sample database (8 sources)" bash -c 'import_all "$work/db"'
import_all "$work/data" >/dev/null

rootfs_tar="$repo_root/build/test-cache/bookworm-minbase.tar.gz"
if [[ ! -s "$rootfs_tar" ]]; then
  # shellcheck source=tests/clients/lib.sh
  REGISTRY=none CLIENT_TMPDIR="$work" source "$repo_root/tests/clients/lib.sh"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$(debian_mirror)" >"$work/debootstrap.log" 2>&1
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" --numeric-owner -czf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi
layouts="$repo_root/tests/clients/make_oci_layout.py"
# One image per layout, so that each scan reads exactly one image.
only() { jq --arg t "$2" '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] == $t))' \
  "$1/index.json" >"$1/index.tmp" && mv "$1/index.tmp" "$1/index.json"; }
python3 "$layouts" "$work/minbase" --no-multi --no-index --rootfs-layer "$rootfs_tar" && only "$work/minbase" rootfs
for dir in usr/bin usr/lib/python3 usr/libexec; do
  tar -C / -czf "$work/$(basename "$dir").tar.gz" "$dir" 2>/dev/null || true
done
python3 "$layouts" "$work/big" --no-multi --no-index --rootfs-layer "$work/bin.tar.gz" \
  --rootfs-layer "$work/python3.tar.gz" --rootfs-layer "$work/libexec.tar.gz" && only "$work/big" rootfs
big_mib=$(du -smc /usr/bin /usr/lib/python3 /usr/libexec | tail -1 | cut -f1)
big_gz_mib=$(du -smc "$work"/bin.tar.gz "$work"/python3.tar.gz "$work"/libexec.tar.gz | tail -1 | cut -f1)
minbase_mib=$(du -m "$rootfs_tar" | cut -f1)
measure "scan the bookworm minbase image (${minbase_mib} MiB gzip)" "$berth_bin" scan --data "$work/data" "$work/minbase"
measure "scan a ${big_mib} MiB image (${big_gz_mib} MiB gzip, 3 layers)" "$berth_bin" scan --data "$work/data" "$work/big"
"$berth_bin" scan --data "$work/data" "$work/big" | sed -n 2p >&2
"$berth_bin" scan --data "$work/data" "$work/minbase" | tail -1 >&2

{
  echo "| scanner ($(date -u +%Y-%m-%d), $(nproc) cores) | median time | peak RSS |"
  echo "|---|---|---|"
  for r in "${results[@]}"; do
    IFS='|' read -r name t m <<<"$r"
    echo "| $name | ${t} s | ${m} MiB |"
  done
} | tee "$out/scan.md"
