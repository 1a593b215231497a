# shellcheck shell=bash
# Helpers shared by the client-test harness (with_registry.sh) and the benchmark
# (bench/run.sh) for starting registries; sourced, not run. No side effects.

# free_port: prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# distribution_config DATA_DIR ADDR LOG_LEVEL [no-access-log]: prints a docker-registry
# (CNCF distribution) config: filesystem storage in DATA_DIR, deletes enabled, in-memory
# blob descriptor cache, listening on ADDR.
distribution_config() {
  local data=$1 addr=$2 level=$3 access=${4:-}
  printf 'version: 0.1\nlog:\n  level: %s\n  formatter: text\n' "$level"
  [[ "$access" == no-access-log ]] && printf '  accesslog:\n    disabled: true\n'
  printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$data"
  # A fixed secret: upload sessions stay valid across a restart.
  printf '  cache:\n    blobdescriptor: inmemory\nhttp:\n  addr: %s\n  secret: berth-test-upload-secret\n' "$addr"
}

# start_distribution DIR PORT: starts Debian's docker-registry on 127.0.0.1:PORT with its storage
# in DIR (kept across restarts), waits until it answers, and adds its pid to the caller's `pids`.
start_distribution() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  distribution_config "$dir/storage" "127.0.0.1:$port" warn >"$dir/registry.yml"
  env -u REGISTRY_AUTH_FILE -u REGISTRY_USER -u REGISTRY_PASSWORD -u REGISTRY_DATA -u REGISTRY -u REGISTRY_KIND \
    docker-registry serve "$dir/registry.yml" >>"$dir/distribution.log" 2>&1 &
  pids+=($!)
  LAST_PID=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "docker-registry on port $port did not start" >&2
  return 1
}

# start_berth BINARY DATA PORT [serve args...]: starts `berth serve` on 127.0.0.1:PORT over DATA,
# waits until it is healthy, and adds its pid to the caller's `pids`.
start_berth() {
  local binary=$1 data=$2 port=$3
  shift 3
  "$binary" serve --listen "127.0.0.1:$port" --data "$data" --log-level warn "$@" >>"$data.log" 2>&1 &
  pids+=($!)
  LAST_PID=$!
  for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "berth on port $port did not start" >&2
  return 1
}
