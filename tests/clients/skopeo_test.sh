#!/usr/bin/env bash
# skopeo against the registry at $REGISTRY: push a multi-layer image and a multi-arch index from an
# OCI layout, copy them back, and check that every manifest, config and layer round-trips byte for
# byte; then inspect, list tags, copy across repositories and delete by digest. Also pushes zstd layers.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo="$REGISTRY/clients/skopeo"
other="$REGISTRY/clients/skopeo-other"
zstd="$REGISTRY/clients/skopeo-zstd"
src="$CLIENT_TMPDIR/src"
back="$CLIENT_TMPDIR/back"
TLS=(--tls-verify=false)

step "make the OCI layout"
make_layout "$src" --seed 42
multi=$(layout_ref_digest "$src" multi)
index=$(layout_ref_digest "$src" index)
multi_config=$(jq -r .config.digest "$(layout_blob "$src" "$multi")")
echo "multi $multi (config $multi_config), index $index"

# First, while the registry holds none of these layers: skopeo would reuse gzip layers it has already
# pushed instead of compressing again.
step "push multi recompressed with zstd"
skopeo copy --quiet --dest-compress-format zstd --dest-tls-verify=false "oci:$src:multi" "docker://$zstd:multi"
expect_eq "layer media types (zstd)" application/vnd.oci.image.layer.v1.tar+zstd \
  "$(skopeo inspect "${TLS[@]}" --raw "docker://$zstd:multi" | jq -r '[.layers[].mediaType] | unique | join(",")')"
expect_eq "config unchanged by recompression" "$multi_config" \
  "sha256:$(skopeo inspect "${TLS[@]}" --config --raw "docker://$zstd:multi" | sha256_stdin)"
skopeo copy --quiet --src-tls-verify=false "docker://$zstd:multi" "oci:$CLIENT_TMPDIR/zstd:multi"
check_layout_blobs "$CLIENT_TMPDIR/zstd"

step "push multi and index (--all) with skopeo copy"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$src:multi" "docker://$repo:multi"
skopeo copy --quiet --preserve-digests --all --dest-tls-verify=false "oci:$src:index" "docker://$repo:index"

step "manifests served by tag and by digest are the pushed bytes"
expect_eq "digest of multi by tag" "$multi" "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:multi" | sha256_stdin)"
expect_eq "digest of multi by digest" "$multi" \
  "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo@$multi" | sha256_stdin)"
expect_eq "digest of index by tag" "$index" "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:index" | sha256_stdin)"
for child in $(jq -r '.manifests[].digest' "$(layout_blob "$src" "$index")"); do
  expect_eq "digest of index child" "$child" \
    "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo@$child" | sha256_stdin)"
done
expect_eq "config of multi" "$multi_config" \
  "sha256:$(skopeo inspect "${TLS[@]}" --config --raw "docker://$repo:multi" | sha256_stdin)"

step "skopeo inspect"
inspect=$(skopeo inspect "${TLS[@]}" "docker://$repo:multi")
expect_eq "inspect .Digest" "$multi" "$(jq -r .Digest <<<"$inspect")"
expect_eq "inspect .Layers" "$(jq -c '[.layers[].digest]' "$(layout_blob "$src" "$multi")")" \
  "$(jq -c .Layers <<<"$inspect")"
expect_eq "inspect .Labels" multi "$(jq -r '.Labels["org.berth.test"]' <<<"$inspect")"
expect_eq "inspect .RepoTags" '["index","multi"]' "$(jq -c '.RepoTags | sort' <<<"$inspect")"
arm64=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$(layout_blob "$src" "$index")")
arm64_inspect=$(skopeo inspect "${TLS[@]}" --override-os linux --override-arch arm64 "docker://$repo:index")
expect_eq "index resolved for linux/arm64: architecture" arm64 "$(jq -r .Architecture <<<"$arm64_inspect")"
expect_eq "index resolved for linux/arm64: layers" "$(jq -c '[.layers[].digest]' "$(layout_blob "$src" "$arm64")")" \
  "$(jq -c .Layers <<<"$arm64_inspect")"

step "skopeo list-tags"
expect_eq "tags" '["index","multi"]' \
  "$(skopeo list-tags "${TLS[@]}" "docker://$repo" | jq -c '.Tags | sort')"

step "copy back into a fresh OCI layout"
skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$repo:multi" "oci:$back:multi"
skopeo copy --quiet --preserve-digests --all --src-tls-verify=false "docker://$repo:index" "oci:$back:index"
expect_eq "index.json refs" \
  "$(jq -c '[.manifests[] | {d: .digest, s: .size, m: .mediaType, t: .annotations["org.opencontainers.image.ref.name"]}] | sort_by(.t)' "$src/index.json")" \
  "$(jq -c '[.manifests[] | {d: .digest, s: .size, m: .mediaType, t: .annotations["org.opencontainers.image.ref.name"]}] | sort_by(.t)' "$back/index.json")"
expect_eq "blob list" "$(cd "$src/blobs/sha256" && ls | sort | tr '\n' ' ')" \
  "$(cd "$back/blobs/sha256" && ls | sort | tr '\n' ' ')"
for f in "$src"/blobs/sha256/*; do
  cmp -s "$f" "$back/blobs/sha256/$(basename "$f")" || fail "blob $(basename "$f") differs after the round trip"
done
check_layout_blobs "$back"

step "pull by digest"
skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$repo@$multi" "oci:$CLIENT_TMPDIR/bydigest:x"
expect_eq "pulled by digest" "$multi" "$(layout_ref_digest "$CLIENT_TMPDIR/bydigest" x)"

step "copy across repositories (blob mount from another repository)"
skopeo copy --quiet --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
  "docker://$repo:multi" "docker://$other:multi"
expect_eq "digest in the other repository" "$multi" \
  "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$other:multi" | sha256_stdin)"

step "skopeo delete by digest"
skopeo delete "${TLS[@]}" "docker://$repo@$multi"
if skopeo inspect "${TLS[@]}" --raw "docker://$repo@$multi" >/dev/null 2>&1; then
  fail "manifest $multi is still served after delete"
fi
if skopeo inspect "${TLS[@]}" --raw "docker://$repo:multi" >/dev/null 2>&1; then
  fail "tag multi still resolves after its manifest was deleted"
fi
expect_eq "tags after delete" '["index"]' "$(skopeo list-tags "${TLS[@]}" "docker://$repo" | jq -c '.Tags | sort')"
expect_eq "index untouched" "$index" "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:index" | sha256_stdin)"
expect_eq "other repository untouched" "$multi" \
  "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$other:multi" | sha256_stdin)"
skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$other:multi" "oci:$CLIENT_TMPDIR/other:multi"
check_layout_blobs "$CLIENT_TMPDIR/other"

echo
echo "skopeo_test: all checks passed"
