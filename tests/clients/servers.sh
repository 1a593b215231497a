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
  printf '  cache:\n    blobdescriptor: inmemory\nhttp:\n  addr: %s\n' "$addr"
}
