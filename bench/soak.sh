#!/usr/bin/env bash
# Soak: Berth under mixed push/pull/delete load at full speed for N minutes, on a fresh data
# directory; does its memory, its open files and its data directory stay flat? Not a test; CI
# never runs it.
#
#   bench/soak.sh [--minutes N] [--berth PATH] [--clients N] [--no-skopeo]
#
#   --minutes N   how long the load runs (default 10)
#   --berth PATH  use this berth binary instead of building build-release/src/berth (Release)
#   --clients N   HTTP client processes (default 6), plus one skopeo loop unless --no-skopeo
#
# The load (bench/soak_load.py) cycles through a bounded set of images: each client pushes,
# pulls, deletes and pushes again the same few images, because a deleted manifest's blobs are
# only reclaimed by garbage collection, which the soak does not run. Every ~10 s it
# prints the server's RSS, open fds, the data directory's size (blob store, meta.db), the audit
# records stored, requests done and errors; at the end a verdict compares the last third of the
# run with the first third. Then Berth is stopped (SIGTERM: exit 0 expected) and `berth fsck`
# checks the data directory. Exit status 0 when there were no errors, no 5xx, all stayed flat,
# the stop was clean and fsck found nothing.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

minutes=10
berth_bin=
clients=6
skopeo=1
while (($#)); do
  case "$1" in
    --minutes) minutes=$2; shift ;;
    --berth) berth_bin=$(realpath "$2"); shift ;;
    --clients) clients=$2; shift ;;
    --no-skopeo) skopeo=0 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

note() { printf '>> %s\n' "$*" >&2; }

if [[ -z "$berth_bin" ]]; then
  note "building berth (Release, build-release/)"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo_root}"
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_SANITIZE=OFF >/dev/null
  cmake --build build-release --target berth >&2
  berth_bin="$repo_root/build-release/src/berth"
fi
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
if ((skopeo)) && ! command -v skopeo >/dev/null; then
  note "skopeo is missing: no skopeo client"
  skopeo=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-soak.XXXXXX")
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/clients/servers.sh
source "$repo_root/tests/clients/servers.sh" # free_port
data="$work/data"
mkdir -p "$data"
password="Soak-Admin-$RANDOM-1"
addr="127.0.0.1:$(free_port)"
BERTH_ADMIN_PASSWORD="$password" "$berth_bin" admin project create soak --data "$data" </dev/null >"$work/berth.log" 2>&1
BERTH_ADMIN_PASSWORD="$password" "$berth_bin" serve --listen "$addr" --data "$data" --log-level warn \
  </dev/null >>"$work/berth.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null --max-time 1 "http://$addr/healthz" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/berth.log" >&2; exit 1; }
  sleep 0.1
done
note "$berth_bin on $addr, pid $server_pid, data $data"

load_args=(--url "http://$addr" --password "$password" --pid "$server_pid" --data "$data"
  --minutes "$minutes" --clients "$clients")
if ((skopeo)); then
  python3 tests/clients/make_oci_layout.py "$work/layout" --seed 21 --no-index >/dev/null
  load_args+=(--skopeo-layout "$work/layout")
fi
status=0
python3 bench/soak_load.py "${load_args[@]}" || status=$?

kill -TERM "$server_pid"
stopped=0
wait "$server_pid" || stopped=$?
server_pid=
echo "berth serve stopped with exit code $stopped"
fsck_status=0
"$berth_bin" fsck --data "$data" || fsck_status=$?
if ((stopped != 0 || fsck_status != 0)); then
  echo "soak: the stop or fsck failed; the server's log:" >&2
  tail -n 40 "$work/berth.log" >&2
  status=1
fi
if grep -qiE '\b(error|critical)\b' "$work/berth.log"; then
  echo "soak: the server logged errors:" >&2
  grep -iE '\b(error|critical)\b' "$work/berth.log" | head -n 20 >&2
  status=1
fi
echo "soak: $( ((status == 0)) && echo PASSED || echo FAILED)"
exit "$status"
