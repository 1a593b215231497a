# shellcheck shell=bash
# Shared helpers for the real-client test scripts; sourced, not run.
# Expects REGISTRY (host:port) and CLIENT_TMPDIR from with_registry.sh.
set -euo pipefail
trap 'echo "FAILED: ${BASH_SOURCE[0]}:${LINENO}: $BASH_COMMAND" >&2' ERR

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${REGISTRY:?REGISTRY must be set (run through with_registry.sh)}"
if [[ -z "${CLIENT_TMPDIR:-}" ]]; then
  CLIENT_TMPDIR=$(mktemp -d)
  trap 'chmod -R u+w "$CLIENT_TMPDIR"; rm -rf "$CLIENT_TMPDIR"' EXIT
fi

step() { printf '\n--- %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [[ "$2" != "$3" ]]; then
    fail "$1: expected '$2', got '$3'"
  fi
  echo "ok: $1 = $3"
}

sha256_file() { sha256sum "$1" | cut -d' ' -f1; }
sha256_stdin() { sha256sum | cut -d' ' -f1; }

# make_layout DIR [make_oci_layout.py options]: an OCI layout with 'multi' and 'index' (and more).
make_layout() { python3 "$CLIENTS_DIR/make_oci_layout.py" "$@"; }

# layout_ref_digest DIR TAG: the digest that DIR/index.json gives TAG.
layout_ref_digest() {
  jq -er --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$1/index.json"
}

# layout_blob DIR DIGEST: path of a blob in an OCI layout.
layout_blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

# check_layout_blobs DIR: every blob's content hashes to its file name.
check_layout_blobs() {
  local f n=0
  for f in "$1"/blobs/sha256/*; do
    [[ "$(sha256_file "$f")" == "$(basename "$f")" ]] || fail "blob $f does not hash to its name"
    n=$((n + 1))
  done
  echo "ok: $n blobs in $1 hash to their names"
}

# Podman and buildah keep their images in a private vfs store under CLIENT_TMPDIR, never in the
# machine's /var/lib/containers. There is no systemd or journald here: cgroupfs and file events.
setup_containers_env() {
  local c="$CLIENT_TMPDIR/containers"
  mkdir -p "$c/root" "$c/runroot" "$c/tmp"
  cat >"$c/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$c/root"
runroot = "$c/runroot"
EOF
  cat >"$c/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$c/events.log"
tmp_dir = "$c/tmp"
EOF
  export CONTAINERS_STORAGE_CONF="$c/storage.conf"
  export CONTAINERS_CONF="$c/containers.conf"
  export TMPDIR="$c/tmp"
  # shellcheck disable=SC2034 # used by the scripts that source this file
  STORE_FLAGS=(--root "$c/root" --runroot "$c/runroot" --storage-driver vfs)
  # shellcheck disable=SC2034
  PODMAN=(podman "${STORE_FLAGS[@]}" --cgroup-manager=cgroupfs --events-backend=file --tmpdir "$c/tmp")
  # shellcheck disable=SC2034
  BUILDAH=(buildah "${STORE_FLAGS[@]}")
}

# debian_mirror: the Debian archive this machine's apt uses (deb822 .sources or sources.list),
# for debootstrap. Fails when none is configured.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  if [[ -z "$uri" ]]; then
    uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  fi
  [[ -n "$uri" ]] || fail "no Debian archive in the apt configuration"
  echo "$uri"
}

# api METHOD PATH [curl args...]: a management-API call as the admin; prints the body.
api() {
  local method=$1 path=$2
  shift 2
  curl -fsS -X "$method" -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -H 'Content-Type: application/json' \
    "http://$REGISTRY/api/v2.0$path" "$@"
}

# push_sample_set LAYOUT_DIR PROJECT/REPO: builds a layout with make_layout and pushes into the
# registry under test an image (tag multi), a multi-arch index (tag v1) and an SBOM-like referrer
# whose subject is the image. Sets `multi`, `index` and `referrer` to their digests.
push_sample_set() {
  local layout=$1 repo=$2 dir
  dir=$(dirname "$layout")
  make_layout "$layout" --seed 7
  multi=$(layout_ref_digest "$layout" multi)
  index=$(layout_ref_digest "$layout" index)
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
    "oci:$layout:multi" "docker://$REGISTRY/$repo:multi"
  skopeo copy --quiet --preserve-digests --all --dest-tls-verify=false --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
    "oci:$layout:index" "docker://$REGISTRY/$repo:v1"
  local auth=(-u "$REGISTRY_USER:$REGISTRY_PASSWORD")
  printf '{}' >"$dir/empty.json"
  printf 'an sbom of multi\n' >"$dir/sbom.txt"
  local f d
  for f in empty.json sbom.txt; do
    d="sha256:$(sha256_file "$dir/$f")"
    curl -fsS "${auth[@]}" -X POST --data-binary "@$dir/$f" -H 'Content-Type: application/octet-stream' \
      "http://$REGISTRY/v2/$repo/blobs/uploads/?digest=$d" >/dev/null
  done
  jq -cn --arg subject "$multi" --arg size "$(stat -c %s "$(layout_blob "$layout" "$multi")")" \
    --arg layer "sha256:$(sha256_file "$dir/sbom.txt")" --arg empty "sha256:$(sha256_file "$dir/empty.json")" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "text/x-sbom",
      config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $empty, size: 2},
      layers: [{mediaType: "text/plain", digest: $layer, size: 17}],
      subject: {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $subject, size: ($size | tonumber)}}' \
    >"$dir/referrer.json"
  referrer="sha256:$(sha256_file "$dir/referrer.json")"
  curl -fsS "${auth[@]}" -X PUT --data-binary "@$dir/referrer.json" \
    -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$repo/manifests/$referrer" >/dev/null
}
