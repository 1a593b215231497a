#!/usr/bin/env bash
# Access control seen by real clients: `podman login` and `skopeo login` (right and wrong
# passwords), `skopeo copy --creds`, a .dockerconfigjson pull secret, anonymous pulls from a
# public project and not from a private one, and a pull-only project robot that can pull its own
# project but not push to it, nor pull from another private project, nor do anything once disabled.
# Berth only (docker-registry has no access control).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "$REGISTRY_KIND" != berth ]]; then
  echo "auth_test: skipped against $REGISTRY_KIND (no access control there)"
  exit 0
fi

api="http://$REGISTRY/api/v2.0"
admin=(-u "$REGISTRY_USER:$REGISTRY_PASSWORD")
src="$CLIENT_TMPDIR/src"
TLS=(--tls-verify=false)
no_auth="$CLIENT_TMPDIR/empty-auth.json"
echo '{}' >"$no_auth"

# expect_fail WHAT COMMAND...: the command must fail; its output must name an auth problem.
expect_fail() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    fail "$what: succeeded, expected a refusal"
  fi
  if ! grep -qiE 'unauthorized|denied|authentication required|forbidden|invalid username/password' <<<"$out"; then
    fail "$what: failed, but not with an authorization error: $out"
  fi
  echo "ok: $what refused"
}

step "make the OCI layout"
make_layout "$src" --seed 7
multi=$(layout_ref_digest "$src" multi)

step "without credentials nothing can be pushed, and a private project cannot be read"
expect_fail "anonymous push" skopeo copy --quiet --authfile "$no_auth" --dest-tls-verify=false \
  "oci:$src:multi" "docker://$REGISTRY/clients/anon:1"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$src:multi" "docker://$REGISTRY/clients/app:1"
expect_fail "anonymous pull from a private project" skopeo inspect --authfile "$no_auth" "${TLS[@]}" --raw \
  "docker://$REGISTRY/clients/app:1"

step "podman login: a wrong password is refused, the right one is stored and used"
podman_auth="$CLIENT_TMPDIR/podman-auth.json"
expect_fail "podman login with a wrong password" podman login "${TLS[@]}" --authfile "$podman_auth" \
  -u "$REGISTRY_USER" -p "not-the-password" "$REGISTRY"
podman login "${TLS[@]}" --authfile "$podman_auth" -u "$REGISTRY_USER" -p "$REGISTRY_PASSWORD" "$REGISTRY"
jq -e --arg r "$REGISTRY" '.auths[$r].auth' "$podman_auth" >/dev/null || fail "podman login stored no credentials"
expect_eq "digest seen through podman's login" "$multi" \
  "$(skopeo inspect --authfile "$podman_auth" "${TLS[@]}" --format '{{.Digest}}' "docker://$REGISTRY/clients/app:1")"

step "skopeo login, then a copy with those credentials"
skopeo_auth="$CLIENT_TMPDIR/skopeo-auth.json"
expect_fail "skopeo login with a wrong password" skopeo login "${TLS[@]}" --authfile "$skopeo_auth" \
  -u "$REGISTRY_USER" -p "wrong-Password-1" "$REGISTRY"
skopeo login "${TLS[@]}" --authfile "$skopeo_auth" -u "$REGISTRY_USER" -p "$REGISTRY_PASSWORD" "$REGISTRY"
skopeo copy --quiet --authfile "$skopeo_auth" --preserve-digests --dest-tls-verify=false \
  "oci:$src:multi" "docker://$REGISTRY/clients/app:2"

step "skopeo copy --creds into the public project; anyone pulls from it"
skopeo copy --quiet --authfile "$no_auth" --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" --preserve-digests \
  --dest-tls-verify=false "oci:$src:multi" "docker://$REGISTRY/open/app:1"
skopeo copy --quiet --authfile "$no_auth" --src-tls-verify=false "docker://$REGISTRY/open/app:1" \
  "oci:$CLIENT_TMPDIR/anon-pull:1"
check_layout_blobs "$CLIENT_TMPDIR/anon-pull"

step "a pull-only robot of project clients"
curl -fsS "${admin[@]}" -X POST -H 'Content-Type: application/json' "$api/projects" \
  -d '{"project_name":"secret","metadata":{"public":"false"}}' >/dev/null
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$src:multi" "docker://$REGISTRY/secret/app:1"
robot=$(curl -fsS "${admin[@]}" -X POST -H 'Content-Type: application/json' "$api/robots" -d '{
  "name": "puller", "description": "pull only", "duration": -1, "level": "project", "disable": false,
  "permissions": [{"kind": "project", "namespace": "clients",
                   "access": [{"resource": "repository", "action": "pull"}]}]}')
robot_name=$(jq -r .name <<<"$robot")
robot_secret=$(jq -r .secret <<<"$robot")
robot_id=$(jq -r .id <<<"$robot")
expect_eq "robot name" 'robot$clients+puller' "$robot_name"
robot_creds="$robot_name:$robot_secret"
skopeo copy --quiet --authfile "$no_auth" --src-creds "$robot_creds" --src-tls-verify=false \
  "docker://$REGISTRY/clients/app:1" "oci:$CLIENT_TMPDIR/robot-pull:1"
check_layout_blobs "$CLIENT_TMPDIR/robot-pull"
expect_fail "robot push where it may only pull" skopeo copy --quiet --authfile "$no_auth" \
  --dest-creds "$robot_creds" --dest-tls-verify=false "oci:$src:multi" "docker://$REGISTRY/clients/robot:1"
expect_fail "robot pull from another private project" skopeo inspect --authfile "$no_auth" \
  --creds "$robot_creds" "${TLS[@]}" --raw "docker://$REGISTRY/secret/app:1"

step "a robot pull secret (.dockerconfigjson) works as-is"
robot_auth="$CLIENT_TMPDIR/robot-pull-secret.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf '%s' "$robot_creds" | base64 -w0)" >"$robot_auth"
expect_eq "digest through the pull secret" "$multi" \
  "$(skopeo inspect --authfile "$robot_auth" "${TLS[@]}" --format '{{.Digest}}' "docker://$REGISTRY/clients/app:1")"

step "a disabled robot is refused"
curl -fsS "${admin[@]}" -X PUT -H 'Content-Type: application/json' "$api/robots/$robot_id" \
  -d "$(jq -c '.disable = true' <<<"$(curl -fsS "${admin[@]}" "$api/robots/$robot_id")")" >/dev/null
expect_fail "disabled robot pull" skopeo inspect --authfile "$robot_auth" "${TLS[@]}" --raw \
  "docker://$REGISTRY/clients/app:1"

step "the audit log names who pushed and pulled"
audit=$(curl -fsS "${admin[@]}" "$api/audit-logs?page_size=100&q=operation%3Dpull")
jq -e --arg r "$robot_name" '[.[] | select(.username == $r)] | length > 0' <<<"$audit" >/dev/null ||
  fail "no pull by $robot_name in the audit log: $audit"
echo "ok: the robot's pull is in the audit log"
