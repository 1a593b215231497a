#!/usr/bin/env bash
# Runs one real-client test script against a fresh registry on a free loopback port.
#
#   with_registry.sh BERTH_BINARY SCRIPT [ARGS...]
#
# Starts `BERTH_BINARY serve --listen 127.0.0.1:PORT --data DIR` with a new temporary data
# directory, waits for GET /healthz, runs SCRIPT with REGISTRY=127.0.0.1:PORT exported, then
# stops the server (SIGTERM, then waits), checks the data with `berth fsck` and removes
# everything. The server's log is printed when anything fails.
#
# REGISTRY_UNDER_TEST=docker-registry runs the same script against Debian's docker-registry
# (CNCF distribution) instead, so that the scripts can be checked against the reference
# implementation; BERTH_BINARY is then ignored.
#
# CLIENT_SHOW_LOG=1 prints the server's log even when everything passed.
#
# The script also gets CLIENT_TMPDIR, a scratch directory that is removed afterwards,
# REGISTRY_KIND (berth or docker-registry), REGISTRY_DATA and BERTH_BINARY (Berth's data directory
# and binary), REGISTRY_USER / REGISTRY_PASSWORD (Berth's admin)
# and REGISTRY_AUTH_FILE (a .dockerconfigjson with those credentials, which the clients use).
set -euo pipefail

if (($# < 2)); then
  echo "usage: $0 BERTH_BINARY SCRIPT [ARGS...]" >&2
  exit 2
fi
berth_binary=$1
script=$(realpath "$2") # the script runs in its scratch directory
shift 2
[[ "$berth_binary" == */* ]] && berth_binary=$(realpath -m "$berth_binary")

kind=${REGISTRY_UNDER_TEST:-berth}
case "$kind" in
  berth | docker-registry) ;;
  *) echo "with_registry: REGISTRY_UNDER_TEST must be berth or docker-registry, not '$kind'" >&2; exit 2 ;;
esac

# shellcheck source=tests/clients/servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-client.XXXXXX")
data="$tmp/data"
log="$tmp/server.log"
mkdir -p "$data" "$tmp/work"
server_pid=
failed=1

print_log() {
  local lines=200
  [[ "${CLIENT_SHOW_LOG:-0}" == 1 ]] && lines=100000
  echo "==== $kind log ($log), last $lines lines ====" >&2
  tail -n "$lines" "$log" >&2 2>/dev/null || true
  echo "==== end of $kind log ====" >&2
}

stop_server() {
  [[ -n "$server_pid" ]] || return 0
  local rc=0 signalled=0
  if kill -0 "$server_pid" 2>/dev/null; then
    signalled=1
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "with_registry: $kind did not stop within 10 s of SIGTERM; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || rc=$?
  server_pid=
  # 0 or death by the SIGTERM we sent (143) are clean stops; a crash (abort, segfault, ...) is not.
  if ((signalled == 0)); then
    echo "with_registry: $kind had already exited (status $rc)" >&2
    return 1
  elif ((rc != 0 && rc != 143)); then
    echo "with_registry: $kind exited with status $rc after SIGTERM" >&2
    return 1
  fi
}

cleanup() {
  local rc=$?
  stop_server || rc=1
  if ((rc != 0 || failed != 0)) || [[ "${CLIENT_SHOW_LOG:-0}" == 1 ]]; then
    print_log
  fi
  # vfs storage of podman/buildah may hold read-only files; make them removable first.
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port)
export REGISTRY="127.0.0.1:$port"
export REGISTRY_KIND="$kind"
export CLIENT_TMPDIR="$tmp/work"
export REGISTRY_DATA="$data"           # the server's data directory (Berth's offline commands)
export BERTH_BINARY="$berth_binary"

# Credentials: Berth's first admin, and a Kubernetes-style .dockerconfigjson pull secret
# holding them, which skopeo, podman and buildah read through REGISTRY_AUTH_FILE. The scripts
# push to the projects "clients" (private) and "open" (public), created offline first.
export REGISTRY_USER=admin
export REGISTRY_PASSWORD="Berth-Admin-$RANDOM-Client"
export REGISTRY_AUTH_FILE="$tmp/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" \
  "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" >"$REGISTRY_AUTH_FILE"

if [[ "$kind" == berth ]]; then
  [[ -x "$berth_binary" ]] || { echo "with_registry: berth binary '$berth_binary' is not executable" >&2; exit 1; }
  health_url="http://$REGISTRY/healthz"
  export BERTH_ADMIN_PASSWORD="$REGISTRY_PASSWORD"
  "$berth_binary" admin project create clients --data "$data" </dev/null >>"$log" 2>&1
  "$berth_binary" admin project create open --public --data "$data" </dev/null >>"$log" 2>&1
  "$berth_binary" serve --listen "$REGISTRY" --data "$data" </dev/null >>"$log" 2>&1 &
  server_pid=$!
else
  command -v docker-registry >/dev/null || { echo "with_registry: docker-registry is not installed" >&2; exit 1; }
  distribution_config "$data" "$REGISTRY" info >"$tmp/registry.yml"
  health_url="http://$REGISTRY/v2/"
  # docker-registry reads REGISTRY_* variables as configuration: keep the clients' ones out.
  env -u REGISTRY_AUTH_FILE -u REGISTRY_USER -u REGISTRY_PASSWORD docker-registry serve "$tmp/registry.yml" </dev/null >"$log" 2>&1 &
  server_pid=$!
fi

echo "with_registry: $kind on $REGISTRY (pid $server_pid, data $data)"
ready=0
deadline=$((SECONDS + 10))
while ((SECONDS < deadline)); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "with_registry: $kind exited during start-up" >&2
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 1 "$health_url" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if ((ready == 0)); then
  echo "with_registry: $kind did not answer $health_url within 10 s" >&2
  exit 1
fi

# As root, skopeo, podman and buildah keep a blob-info cache in /var/lib/containers/cache that
# remembers which registry holds which blob, and reuse it across runs. Give the script a private
# mount namespace with an empty tmpfs there, so each run starts clean and the machine's own
# /var/lib/containers is never touched. Without unshare (or not root), run it as it is.
# The script gets CLIENT_TIMEOUT seconds (default 300), so that the harness, not ctest's kill,
# ends a hung client and still stops the server.
run_script() {
  local limit=(timeout --kill-after=10 "${CLIENT_TIMEOUT:-300}")
  if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null && mkdir -p /var/lib/containers 2>/dev/null &&
    unshare --mount --propagation private true 2>/dev/null; then
    "${limit[@]}" unshare --mount --propagation private bash -c '
      mount -t tmpfs -o size=256m,mode=0700 berth-client-tests /var/lib/containers ||
        echo "with_registry: note: no private /var/lib/containers" >&2
      cd "$CLIENT_TMPDIR" && exec bash "$@"' bash "$script" "$@"
  else
    (cd "$CLIENT_TMPDIR" && "${limit[@]}" bash "$script" "$@")
  fi
}

echo "with_registry: running $script"
script_rc=0
run_script "$@" </dev/null || script_rc=$?
if ((script_rc == 124 || script_rc == 137)); then
  echo "with_registry: $script timed out after ${CLIENT_TIMEOUT:-300} s" >&2
fi
if ((script_rc != 0)); then
  echo "with_registry: $script FAILED (exit $script_rc)" >&2
  exit "$script_rc"
fi

stop_server
if [[ "$kind" == berth ]]; then
  echo "with_registry: berth fsck --data $data"
  if ! "$berth_binary" fsck --data "$data" </dev/null >>"$log" 2>&1; then
    echo "with_registry: berth fsck found blobs and metadata disagreeing after $script" >&2
    exit 1
  fi
fi
failed=0
echo "with_registry: $script passed against $kind"
