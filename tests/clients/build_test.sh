#!/usr/bin/env bash
# buildah against the registry at $REGISTRY: build an image FROM scratch with COPY (no RUN, so no
# network and no runtime are needed), push it, pull it back with skopeo into an OCI layout and find
# the files in its layer; then build a second image FROM the pushed one (buildah pulls it from the
# registry) and check that it shares the base layer.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_containers_env

repo="$REGISTRY/clients/build"
TLS=(--tls-verify=false)
ctx="$CLIENT_TMPDIR/context"

step "write a build context"
mkdir -p "$ctx/files/etc" "$ctx/files/bin"
echo "hello from berth's build test" >"$ctx/files/etc/greeting.txt"
printf '#!/bin/sh\necho app\n' >"$ctx/files/bin/app.sh"
chmod 755 "$ctx/files/bin/app.sh"
head -c 200000 /dev/urandom >"$ctx/files/etc/random.bin"
cat >"$ctx/Containerfile" <<'EOF'
FROM scratch
COPY files/ /app/
ENV GREETING=/app/etc/greeting.txt
LABEL org.berth.test=build
CMD ["/app/bin/app.sh"]
EOF

step "buildah build (vfs, chroot isolation)"
"${BUILDAH[@]}" build --quiet --isolation chroot --layers=false -f "$ctx/Containerfile" -t "$repo:v1" "$ctx" >/dev/null
"${BUILDAH[@]}" images

step "buildah push"
"${BUILDAH[@]}" push --quiet "${TLS[@]}" --digestfile "$CLIENT_TMPDIR/d-v1" "$repo:v1" "docker://$repo:v1"
d_v1=$(cat "$CLIENT_TMPDIR/d-v1")
expect_eq "pushed digest = served digest" "$d_v1" \
  "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:v1" | sha256_stdin)"
inspect=$(skopeo inspect "${TLS[@]}" "docker://$repo:v1")
expect_eq "label" build "$(jq -r '.Labels["org.berth.test"]' <<<"$inspect")"
expect_eq "layer count" 1 "$(jq '.Layers | length' <<<"$inspect")"

step "pull back with skopeo into an OCI layout and unpack the layer"
out="$CLIENT_TMPDIR/out"
skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$repo:v1" "oci:$out:v1"
check_layout_blobs "$out"
manifest=$(layout_blob "$out" "$(layout_ref_digest "$out" v1)")
layer=$(jq -r '.layers[0].digest' "$manifest")
mkdir -p "$CLIENT_TMPDIR/rootfs"
tar -xf "$(layout_blob "$out" "$layer")" -C "$CLIENT_TMPDIR/rootfs"
for f in etc/greeting.txt etc/random.bin bin/app.sh; do
  cmp "$ctx/files/$f" "$CLIENT_TMPDIR/rootfs/app/$f" || fail "app/$f differs from the build context"
done
echo "ok: the layer holds app/etc/greeting.txt, app/etc/random.bin, app/bin/app.sh"
[[ -x "$CLIENT_TMPDIR/rootfs/app/bin/app.sh" ]] || fail "app/bin/app.sh lost its mode"
config=$(layout_blob "$out" "$(jq -r .config.digest "$manifest")")
expect_eq "config Cmd" '["/app/bin/app.sh"]' "$(jq -c .config.Cmd "$config")"
expect_eq "config Env has GREETING" 1 "$(jq '[.config.Env[] | select(startswith("GREETING="))] | length' "$config")"

step "build FROM the pushed image (buildah pulls it from the registry)"
"${BUILDAH[@]}" rmi --all --force >/dev/null
cat >"$ctx/Containerfile.child" <<EOF
FROM $repo:v1
COPY Containerfile.child /app/etc/child.txt
LABEL org.berth.test=child
EOF
"${BUILDAH[@]}" build --quiet --isolation chroot --layers=false "${TLS[@]}" --pull-always \
  -f "$ctx/Containerfile.child" -t "$repo:child" "$ctx" >/dev/null
"${BUILDAH[@]}" push --quiet "${TLS[@]}" --digestfile "$CLIENT_TMPDIR/d-child" "$repo:child" "docker://$repo:child"
child=$(skopeo inspect "${TLS[@]}" "docker://$repo:child")
expect_eq "child layer count" 2 "$(jq '.Layers | length' <<<"$child")"
expect_eq "child reuses the base layer" "$layer" "$(jq -r '.Layers[0]' <<<"$child")"
expect_eq "child digest" "$(cat "$CLIENT_TMPDIR/d-child")" \
  "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$repo:child" | sha256_stdin)"
expect_eq "tags" '["child","v1"]' "$(skopeo list-tags "${TLS[@]}" "docker://$repo" | jq -c '.Tags | sort')"

echo
echo "build_test: all checks passed"
