# shellcheck shell=bash
# What the benchmarks (bench/run.sh, bench/pull.sh, bench/basic_auth.sh) share: a private skopeo cache, the berth
# build, the test images, and starting Berth and Debian's docker-registry side by side.
# Sourced, not run; defines functions only. Expects repo_root.
# shellcheck disable=SC2154 # repo_root is set by the script that sources this file

# bench_private_namespace SCRIPT ARGS...: as root, skopeo keeps a blob-info cache in
# /var/lib/containers/cache and would reuse what it learnt in an earlier run (mount instead of
# upload). Re-executes SCRIPT in a private mount namespace with an empty tmpfs there, so every run
# measures the same work and the machine's state is untouched. Returns when that is not possible.
bench_private_namespace() {
  if [[ -z "${BERTH_BENCH_PRIVATE:-}" && $(id -u) == 0 ]] && command -v unshare >/dev/null &&
    mkdir -p /var/lib/containers 2>/dev/null && unshare --mount --propagation private true 2>/dev/null; then
    export BERTH_BENCH_PRIVATE=1
    exec unshare --mount --propagation private bash -c \
      'mount -t tmpfs -o size=64m,mode=0700 berth-bench /var/lib/containers || true; exec bash "$@"' \
      bash "$@"
  fi
}

# bench_setup: out_dir and images (bench/out), work (a temp directory removed at exit with every
# server in pids), and the credentials: Berth's admin (docker-registry ignores them), which
# skopeo reads from REGISTRY_AUTH_FILE, holding an entry for every server started.
bench_setup() {
  out_dir="$repo_root/bench/out"
  images="$out_dir/images"
  mkdir -p "$out_dir" "$images"
  work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")
  pids=()
  trap cleanup EXIT
  BENCH_PASSWORD="Bench-Admin-$RANDOM-1"
  export REGISTRY_AUTH_FILE="$work/auth.json"
  echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"
}

cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

note() { printf '>> %s\n' "$*" >&2; }
now() { date +%s.%N; }
# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# calc EXPR: floating-point arithmetic, 2 decimals.
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
# stats V...: "median min max" of the values.
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f", m, v[1], v[NR] }'
}

# build_berth: builds build/src/berth (Release) and sets berth_bin, unless berth_bin is set.
build_berth() {
  [[ -n "${berth_bin:-}" ]] && return
  "$repo_root/scripts/deps.sh" >&2
  note "building berth (Release, build/)"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo_root}"
  if ! { cmake -S "$repo_root" -B "$repo_root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_SANITIZE=OFF >/dev/null &&
    cmake --build "$repo_root/build" --target berth >&2; }; then
    echo "bench: berth did not build; fix it, or run with --distribution-only to measure docker-registry alone" >&2
    exit 1
  fi
  berth_bin="$repo_root/build/src/berth"
}

# make_layout NAME ARGS...: a test image as an OCI layout in $images/NAME, cached (a pure
# function of the seed and ARGS).
make_layout() {
  local name=$1
  shift
  local dir="$images/$name" stamp="$*"
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" ]]; then return; fi
  note "making image layout $name ($stamp)"
  rm -rf "$dir"
  python3 "$repo_root/tests/clients/make_oci_layout.py" "$dir" "$@"
  echo "$stamp" >"$dir/.stamp"
}

# image_bytes LAYOUT: bytes of the 'multi' image's blobs (config + layers), what a push moves.
image_bytes() {
  python3 - "$1" <<'EOF'
import json, os, sys
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":"))
ref = next(m for m in json.load(open(os.path.join(root, "index.json")))["manifests"]
           if m["annotations"]["org.opencontainers.image.ref.name"] == "multi")
man = json.load(open(blob(ref["digest"])))
print(man["config"]["size"] + sum(l["size"] for l in man["layers"]))
EOF
}

# shellcheck source=tests/clients/servers.sh
source "$repo_root/tests/clients/servers.sh"

# start_server KIND [NAME]: starts berth or docker-registry on a free port with a fresh data
# directory ($work/NAME-data, NAME defaulting to KIND); sets ADDR and SERVER_PID. Berth gets the admin's password, a project
# "bench", and tokens that outlive the run.
start_server() {
  local kind=$1 name=${2:-$1} port data
  port=$(free_port)
  ADDR="127.0.0.1:$port"
  data="$work/$name-data"
  mkdir -p "$data"
  local health="http://$ADDR/v2/"
  if [[ "$kind" == berth ]]; then
    BERTH_ADMIN_PASSWORD="$BENCH_PASSWORD" "$berth_bin" admin project create bench --data "$data" \
      </dev/null >"$work/$name.log" 2>&1
    BERTH_ADMIN_PASSWORD="$BENCH_PASSWORD" BERTH_AUTH_TOKEN_LIFETIME=4h \
      "$berth_bin" serve --listen "$ADDR" --data "$data" --log-level warn </dev/null >>"$work/$name.log" 2>&1 &
    health="http://$ADDR/healthz"
  else
    # Same footing as berth: filesystem storage, in-memory descriptor cache, no access log.
    distribution_config "$data" "$ADDR" warn no-access-log >"$work/$name.yml"
    # docker-registry reads REGISTRY_* variables as configuration: keep the auth file out.
    env -u REGISTRY_AUTH_FILE docker-registry serve "$work/$name.yml" </dev/null >"$work/$name.log" 2>&1 &
  fi
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  local auths
  auths=$(jq --arg addr "$ADDR" --arg auth "$(printf 'admin:%s' "$BENCH_PASSWORD" | base64 -w0)" \
    '.auths[$addr] = {auth: $auth}' "$REGISTRY_AUTH_FILE")
  echo "$auths" >"$REGISTRY_AUTH_FILE"
  for _ in $(seq 100); do
    curl -fsS -o /dev/null --max-time 1 "$health" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: $kind did not start; its log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# serve_data DATA LOG: starts berth on a free port over an existing data directory (filled by a
# benchmark), logging to LOG; sets ADDR and SERVER_PID once it answers /healthz.
serve_data() {
  ADDR="127.0.0.1:$(free_port)"
  BERTH_ADMIN_PASSWORD="$BENCH_PASSWORD" "$berth_bin" serve --listen "$ADDR" --data "$1" --log-level warn \
    </dev/null >"$2" 2>&1 &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  for _ in $(seq 100); do
    curl -fsS -o /dev/null --max-time 1 "http://$ADDR/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: berth did not start on $1; its log:" >&2
  cat "$2" >&2
  exit 1
}

stop_server() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# skopeo_login: logs in to ADDR once, as a user does (`podman login`), so that the first
# password check happens here, not inside a timed run.
skopeo_login() {
  skopeo login --tls-verify=false --authfile "$REGISTRY_AUTH_FILE" -u admin -p "$BENCH_PASSWORD" "$ADDR" \
    >/dev/null 2>&1 || note "skopeo login to $ADDR failed"
}
