#!/usr/bin/env bash
# What HTTP basic credentials cost against a bearer token: GET /v2/ with each, alternating, for
# one or more berth binaries in turn, on loopback (wrk -c32 -t2). Not a test; CI never runs it.
#   bench/basic_auth.sh [--rounds N] [--seconds S] BERTH...
# Prints, per binary, the median requests/s with a bearer token and with basic credentials over
# N rounds (default 5, 3 s each), their spread, and basic/bearer.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

rounds=5
seconds=3
binaries=()
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) binaries+=("$(realpath "$1")") ;;
  esac
  shift
done
((${#binaries[@]})) || { echo "basic_auth.sh: name at least one berth binary" >&2; exit 2; }
for tool in wrk curl jq; do command -v "$tool" >/dev/null || { echo "basic_auth.sh: needs $tool" >&2; exit 2; }; done

# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
bench_setup

rps() { wrk -c32 -t2 "-d${seconds}s" -H "$1" "$2" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'; }

printf '| berth | bearer req/s (median, range) | basic req/s (median, range) | basic/bearer |\n|---|---:|---:|---:|\n'
for berth_bin in "${binaries[@]}"; do
  start_server berth
  url="http://$ADDR/v2/"
  bearer="Authorization: Bearer $(curl -fsS -u "admin:$BENCH_PASSWORD" \
    "http://$ADDR/service/token?service=berth-registry&scope=repository:bench/x:pull" | jq -r .token)"
  basic="Authorization: Basic $(printf 'admin:%s' "$BENCH_PASSWORD" | base64 -w0)"
  bearer_rates=() basic_rates=()
  for _ in $(seq "$rounds"); do
    bearer_rates+=("$(rps "$bearer" "$url")")
    basic_rates+=("$(rps "$basic" "$url")")
  done
  stop_server "$SERVER_PID"
  rm -rf "$work/berth-data"
  read -r b blo bhi <<<"$(stats "${bearer_rates[@]}")"
  read -r a alo ahi <<<"$(stats "${basic_rates[@]}")"
  printf '| %s | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %s |\n' "$berth_bin" "$b" "$blo" "$bhi" "$a" "$alo" "$ahi" \
    "$(calc "$a / $b")"
done
