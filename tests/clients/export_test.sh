#!/usr/bin/env bash
# The way out and back: `berth export` beside the running Berth writes OCI image layouts that
# skopeo copies into Debian's docker-registry with every digest unchanged (a multi-arch index, an
# image and a referrer of it), and `berth import` loads the export into a fresh Berth: digests,
# tags, the referrer, the project's quota, tag immutability rule, labels (on their artifacts) and
# webhook policies all come back, fsck clean. Robots are listed without their secrets.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

if [[ "$REGISTRY_KIND" != berth ]]; then
  echo "export and import are Berth's commands; nothing to test against $REGISTRY_KIND"
  exit 0
fi
TLS=(--tls-verify=false)
src="$CLIENT_TMPDIR/src"
out="$CLIENT_TMPDIR/export"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

step "a project with a quota, an immutability rule, an image, an index and a referrer"
api POST /projects -d '{"project_name":"exp","storage_limit":1073741824,"metadata":{"public":"false"}}'
project_id=$(api GET /projects/exp -H 'X-Is-Resource-Name: true' | jq -r .project_id)
api POST "/projects/exp/immutabletagrules" -d '{"disabled":false,"action":"immutable","template":"immutable_template",
  "tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"v*"}],
  "scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}}'
push_sample_set "$src" exp/app
auth=(-u "$REGISTRY_USER:$REGISTRY_PASSWORD")
api POST /labels -d "{\"name\":\"prod\",\"color\":\"#00aa00\",\"scope\":\"p\",\"project_id\":$project_id}"
label_id=$(api GET "/labels?scope=p&project_id=$project_id" | jq -r '.[0].id')
api POST "/projects/exp/repositories/app/artifacts/$multi/labels" -H 'X-Is-Resource-Name: true' -d "{\"id\":$label_id}"
api POST /robots -d '{"name":"ci","level":"project","duration":-1,
  "permissions":[{"kind":"project","namespace":"exp","access":[{"resource":"repository","action":"pull"}]}]}' >/dev/null
api POST /projects/exp/webhook/policies -H 'X-Is-Resource-Name: true' -d '{"name":"ci-hook","enabled":true,
  "event_types":["PUSH_ARTIFACT"],"targets":[{"type":"http","address":"http://127.0.0.1:9/hook","payload_format":"CloudEvents"}]}'

step "berth export beside the running server"
"$BERTH_BINARY" export --project exp "$out" --data "$REGISTRY_DATA"
layout="$out/repositories/exp/app"
expect_eq "oci-layout" '1.0.0' "$(jq -r .imageLayoutVersion "$layout/oci-layout")"
expect_eq "tags in the layout" 'multi,v1' \
  "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"] // empty] | sort | join(",")' "$layout/index.json")"
expect_eq "the referrer is listed" "$referrer" \
  "$(jq -r --arg d "$referrer" '.manifests[] | select(.digest == $d) | .digest' "$layout/index.json")"
check_layout_blobs "$layout"
expect_eq "settings: quota" 1073741824 "$(jq -r .storage_limit "$out/projects/exp.json")"
expect_eq "settings: immutability rules" 1 "$(jq -r '.immutable_rules | length' "$out/projects/exp.json")"
expect_eq "settings: the robot, without a secret" 'robot$exp+ci false' \
  "$(jq -r '.robots[0] | "\(.name) \(has("secret"))"' "$out/projects/exp.json")"
grep -qi '"secret' "$out/projects/exp.json" && fail "a secret in the export"
expect_eq "settings: the label and where it is" "prod exp/app@$multi" \
  "$(jq -r '.labels[0] | "\(.name) \(.artifacts | join(","))"' "$out/projects/exp.json")"
expect_eq "settings: the webhook policy" 'ci-hook CloudEvents' \
  "$(jq -r '.webhook_policies[0] | "\(.name) \(.policy.targets[0].payload_format)"' "$out/projects/exp.json")"
"$BERTH_BINARY" export --project exp "$out" --data "$REGISTRY_DATA" && fail "an export over a non-empty directory"
"$BERTH_BINARY" export --project nope "$CLIENT_TMPDIR/nope" --data "$REGISTRY_DATA" && fail "an unknown project"

step "skopeo copies the layouts into Debian's docker-registry, digests unchanged"
command -v docker-registry >/dev/null || fail "docker-registry is not installed"
dport=$(free_port)
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"
dist="127.0.0.1:$dport/exp/app"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$layout:multi" "docker://$dist:multi"
skopeo copy --quiet --preserve-digests --all --dest-tls-verify=false "oci:$layout:v1" "docker://$dist:v1"
expect_eq "multi in docker-registry" "$multi" "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$dist:multi" | sha256_stdin)"
expect_eq "index in docker-registry" "$index" "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$dist:v1" | sha256_stdin)"
for child in $(jq -r '.manifests[].digest' "$(layout_blob "$src" "$index")"); do
  expect_eq "index child in docker-registry" "$child" \
    "sha256:$(skopeo inspect "${TLS[@]}" --raw "docker://$dist@$child" | sha256_stdin)"
done

step "berth import into a fresh Berth"
fresh="$CLIENT_TMPDIR/fresh"
BERTH_ADMIN_PASSWORD="$REGISTRY_PASSWORD" "$BERTH_BINARY" admin project create seed --data "$fresh" >/dev/null
"$BERTH_BINARY" import "$out" --data "$fresh"
"$BERTH_BINARY" fsck --data "$fresh"
fport=$(free_port)
start_berth "$BERTH_BINARY" "$fresh" "$fport"
back="127.0.0.1:$fport/exp/app"
creds=(--creds "$REGISTRY_USER:$REGISTRY_PASSWORD")
expect_eq "multi imported" "$multi" "sha256:$(skopeo inspect "${TLS[@]}" "${creds[@]}" --raw "docker://$back:multi" | sha256_stdin)"
expect_eq "index imported" "$index" "sha256:$(skopeo inspect "${TLS[@]}" "${creds[@]}" --raw "docker://$back:v1" | sha256_stdin)"
expect_eq "referrer imported" "$referrer" \
  "$(curl -fsS "${auth[@]}" "http://127.0.0.1:$fport/v2/exp/app/referrers/$multi" | jq -r '.manifests[0].digest')"
fapi() { curl -fsS "${auth[@]}" "http://127.0.0.1:$fport/api/v2.0$1"; }
new_id=$(fapi /projects/exp -H 'X-Is-Resource-Name: true' | jq -r .project_id)
expect_eq "quota imported" 1073741824 "$(fapi "/quotas/$new_id" | jq -r .hard.storage)"
expect_eq "immutability rule imported" 'v*' "$(fapi /projects/exp/immutabletagrules | jq -r '.[0].tag_selectors[0].pattern')"
expect_eq "the project is private" false "$(fapi /projects/exp -H 'X-Is-Resource-Name: true' | jq -r .metadata.public)"
expect_eq "label imported onto its artifact" prod \
  "$(fapi "/projects/exp/repositories/app/artifacts/$multi?with_label=true" -H 'X-Is-Resource-Name: true' | jq -r '.labels[0].name')"
expect_eq "webhook policy imported" 'ci-hook true' \
  "$(fapi /projects/exp/webhook/policies -H 'X-Is-Resource-Name: true' | jq -r '.[0] | "\(.name) \(.enabled)"')"
skopeo copy --quiet --src-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" --src-tls-verify=false "docker://$back:multi" "oci:$CLIENT_TMPDIR/pulled:multi"
check_layout_blobs "$CLIENT_TMPDIR/pulled"
echo "project $project_id exported and imported as $new_id"
