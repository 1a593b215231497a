#!/usr/bin/env bash
# podman against the registry at $REGISTRY: load an image from an OCI layout into a private vfs
# store, push it (OCI and Docker schema 2 manifests), remove it locally, pull it back by tag and
# by digest, and check that the image id (config digest) and the manifest digests match.
# (zstd layers are pushed by skopeo_test.sh: podman 4.3 reuses gzip layers the registry already has.)
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_containers_env

repo="$REGISTRY/clients/podman"
src="$CLIENT_TMPDIR/src"
TLS=(--tls-verify=false)

# image_id REF: podman's full image id, which is the hex of the config digest.
image_id() { "${PODMAN[@]}" image inspect --format '{{.Id}}' "$1"; }
remote_digest() { echo "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$1" | sha256_stdin)"; }

step "load the image from an OCI layout into podman's private store"
make_layout "$src" --seed 7 --no-index
multi=$(layout_ref_digest "$src" multi)
config=$(jq -r .config.digest "$(layout_blob "$src" "$multi")")
# podman names an image loaded from oci:PATH after PATH, which must then be a valid (lowercase)
# repository name: load from a relative path.
loaded=$(cd "$CLIENT_TMPDIR" && "${PODMAN[@]}" pull --quiet oci:src:multi)
expect_eq "image id after loading" "${config#sha256:}" "$loaded"
expect_eq "image id of localhost/src" "${config#sha256:}" "$(image_id localhost/src:latest)"
"${PODMAN[@]}" tag localhost/src:latest "$repo:v1" "$repo:v2s2"

step "tag and push (OCI manifest, as loaded)"
"${PODMAN[@]}" push --quiet "${TLS[@]}" --digestfile "$CLIENT_TMPDIR/d-v1" "$repo:v1"
d_v1=$(cat "$CLIENT_TMPDIR/d-v1")
expect_eq "pushed digest = served digest (v1)" "$d_v1" "$(remote_digest "$repo:v1")"
expect_eq "media type (v1)" application/vnd.oci.image.manifest.v1+json \
  "$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:v1" | jq -r .mediaType)"

step "push as Docker schema 2"
"${PODMAN[@]}" push --quiet "${TLS[@]}" --format v2s2 --digestfile "$CLIENT_TMPDIR/d-v2s2" "$repo:v2s2"
d_v2s2=$(cat "$CLIENT_TMPDIR/d-v2s2")
expect_eq "pushed digest = served digest (v2s2)" "$d_v2s2" "$(remote_digest "$repo:v2s2")"
expect_eq "media type (v2s2)" application/vnd.docker.distribution.manifest.v2+json \
  "$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:v2s2" | jq -r .mediaType)"

expect_eq "tags" '["v1","v2s2"]' "$(skopeo list-tags "${TLS[@]}" "docker://$repo" | jq -c '.Tags | sort')"

step "remove every local image"
"${PODMAN[@]}" rmi --all --force >/dev/null
expect_eq "local images" "" "$("${PODMAN[@]}" images --quiet)"

step "pull back by tag"
"${PODMAN[@]}" pull --quiet "${TLS[@]}" "$repo:v1" >/dev/null
expect_eq "image id after pull (v1)" "${config#sha256:}" "$(image_id "$repo:v1")"
expect_eq "image digest after pull (v1)" "$d_v1" "$("${PODMAN[@]}" image inspect --format '{{.Digest}}' "$repo:v1")"

step "pull back by digest"
"${PODMAN[@]}" rmi --all --force >/dev/null
"${PODMAN[@]}" pull --quiet "${TLS[@]}" "$repo@$d_v2s2" >/dev/null
expect_eq "image digest after pull by digest (v2s2)" "$d_v2s2" \
  "$("${PODMAN[@]}" image inspect --format '{{.Digest}}' "$repo@$d_v2s2")"
"${PODMAN[@]}" pull --quiet "${TLS[@]}" "$repo@$d_v1" >/dev/null
expect_eq "image id after pull by digest (v1)" "${config#sha256:}" "$(image_id "$repo@$d_v1")"

step "the pulled layers hold the layout's files"
mnt=$("${PODMAN[@]}" image mount "$repo@$d_v1")
test -s "$mnt/multi/layer0/README.txt" || fail "multi/layer0/README.txt missing in the pulled image"
expect_eq "README of layer 2" "layer multi/layer2" "$(cat "$mnt/multi/layer2/README.txt")"
"${PODMAN[@]}" image unmount "$repo@$d_v1" >/dev/null

echo
echo "podman_test: all checks passed"
