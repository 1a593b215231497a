#!/usr/bin/env bash
# What HTTP basic credentials cost against a bearer token: GET /v2/ with each, alternating, for
# one or more berth binaries in turn, on loopback (wrk -c32 -t2). Not a test; CI never runs it.
#   bench/basic_auth.sh [--rounds N] [--seconds S] BERTH...
# Prints, per binary, the median requests/s with a bearer token and with basic credentials over
# N rounds (default 5, 3 s each), their spread, and basic/bearer.
set -euo pipefail

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

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-basic.XXXXXX")
server=
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
password="Bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

rps() { wrk -c32 -t2 "-d${seconds}s" -H "$1" "$2" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }

printf '| berth | bearer req/s (median, range) | basic req/s (median, range) | basic/bearer |\n|---|---:|---:|---:|\n'
for binary in "${binaries[@]}"; do
  data="$work/data-$RANDOM"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  BERTH_ADMIN_PASSWORD="$password" "$binary" admin project create bench --data "$data" >/dev/null 2>&1 </dev/null
  BERTH_ADMIN_PASSWORD="$password" "$binary" serve --listen "127.0.0.1:$port" --data "$data" --log-level warn \
    >"$work/serve.log" 2>&1 </dev/null &
  server=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
  url="http://127.0.0.1:$port/v2/"
  bearer="Authorization: Bearer $(curl -fsS -u "admin:$password" "http://127.0.0.1:$port/service/token?service=berth-registry&scope=repository:bench/x:pull" | jq -r .token)"
  basic="Authorization: Basic $(printf 'admin:%s' "$password" | base64 -w0)"
  : >"$work/bearer" && : >"$work/basic"
  for _ in $(seq "$rounds"); do
    rps "$bearer" "$url" >>"$work/bearer" && echo >>"$work/bearer"
    rps "$basic" "$url" >>"$work/basic" && echo >>"$work/basic"
  done
  kill "$server" && wait "$server" 2>/dev/null || true
  server=
  b=$(median <"$work/bearer") a=$(median <"$work/basic")
  printf '| %s | %s (%s) | %s (%s) | %s |\n' "$binary" "$b" "$(spread <"$work/bearer")" "$a" \
    "$(spread <"$work/basic")" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
