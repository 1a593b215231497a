#!/usr/bin/env bash
# Replication against real peers: Debian's docker-registry and a second Berth, both started here.
# Registry endpoints (secrets sealed, never shown), push replication of a multi-arch index, an
# image and its referrer with digests compared, a tag filter that excludes, a second run that
# sends no blob again, pull replication into a new project, event-based replication on push, and
# a destination killed in the middle of a blob and restarted: the execution resumes the upload
# and finishes.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

if [[ "$REGISTRY_KIND" != berth ]]; then
  echo "replication is Berth's API; nothing to test against $REGISTRY_KIND"
  exit 0
fi
command -v docker-registry >/dev/null || fail "docker-registry is not installed"
TLS=(--tls-verify=false)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# digest_at REGISTRY/REPO REF [creds]: the sha256 of the manifest bytes a registry serves.
digest_at() {
  local ref=$1 reference=$2 creds=${3:-}
  local args=("${TLS[@]}" --raw)
  [[ -n "$creds" ]] && args+=(--creds "$creds")
  if [[ "$reference" == sha256:* ]]; then
    echo "sha256:$(skopeo inspect "${args[@]}" "docker://$ref@$reference" | sha256_stdin)"
  else
    echo "sha256:$(skopeo inspect "${args[@]}" "docker://$ref:$reference" | sha256_stdin)"
  fi
}

# run_policy ID: starts an execution, waits for it to end, prints its id.
run_policy() {
  local location id status
  location=$(api POST /replication/executions -d "{\"policy_id\": $1}" -D - -o /dev/null | tr -d '\r' |
    sed -n 's/^Location: //Ip')
  id=${location##*/}
  for _ in $(seq 600); do
    status=$(api GET "/replication/executions/$id" | jq -r .status)
    [[ "$status" != InProgress ]] && break
    sleep 0.1
  done
  echo "$id"
}

task_log() { api GET "/replication/executions/$1/tasks/$(api GET "/replication/executions/$1/tasks" | jq -r '.[0].id')/log"; }

step "the source: an image, a multi-arch index and a referrer in rep/app, and a tag to exclude"
api POST /projects -d '{"project_name":"rep","metadata":{"public":"false"}}'
push_sample_set "$CLIENT_TMPDIR/src/layout" rep/app
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
  "oci:$CLIENT_TMPDIR/src/layout:multi" "docker://$REGISTRY/rep/app:skip-me"
# A cosign-style signature of the image: a manifest tagged sha256-<hex>.sig, no subject field.
printf 'a signature of multi\n' >"$CLIENT_TMPDIR/sig.txt"
curl -fsS -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -X POST --data-binary "@$CLIENT_TMPDIR/sig.txt" \
  -H 'Content-Type: application/octet-stream' \
  "http://$REGISTRY/v2/rep/app/blobs/uploads/?digest=sha256:$(sha256_file "$CLIENT_TMPDIR/sig.txt")" >/dev/null
jq -cn --arg empty "sha256:$(sha256_file "$CLIENT_TMPDIR/src/empty.json")" --arg layer "sha256:$(sha256_file "$CLIENT_TMPDIR/sig.txt")" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $empty, size: 2},
    layers: [{mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: $layer, size: 21,
              annotations: {"dev.cosignproject.cosign/signature": "MEUCIQ"}}]}' >"$CLIENT_TMPDIR/sig.json"
signature="sha256:$(sha256_file "$CLIENT_TMPDIR/sig.json")"
sig_tag="sha256-${multi#sha256:}.sig"
curl -fsS -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -X PUT --data-binary "@$CLIENT_TMPDIR/sig.json" \
  -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/rep/app/manifests/$sig_tag" >/dev/null

step "the peers: docker-registry and a second Berth with its own admin password"
dport=$(free_port)
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"
dist_pid=$LAST_PID
other="$CLIENT_TMPDIR/other"
other_password='B-only-secret-42'
BERTH_ADMIN_PASSWORD="$other_password" "$BERTH_BINARY" admin project create seed --data "$other" >/dev/null
bport=$(free_port)
start_berth "$BERTH_BINARY" "$other" "$bport"

step "registry endpoints"
expect_eq "adapters" 'docker-hub,docker-registry,harbor' "$(api GET /replication/adapters | jq -r 'join(",")')"
api POST /registries -d "{\"name\":\"dist\",\"type\":\"docker-registry\",\"url\":\"http://127.0.0.1:$dport\"}"
api POST /registries -d "{\"name\":\"other\",\"type\":\"harbor\",\"url\":\"http://127.0.0.1:$bport\",
  \"credential\":{\"type\":\"basic\",\"access_key\":\"admin\",\"access_secret\":\"$other_password\"}}"
dist_id=$(api GET '/registries?name=dist' | jq -r '.[0].id')
other_id=$(api GET '/registries?name=other' | jq -r '.[0].id')
expect_eq "the secret is never shown" '*****' "$(api GET "/registries/$other_id" | jq -r .credential.access_secret)"
expect_eq "health" healthy "$(api GET "/registries/$other_id" | jq -r .status)"
grep -q "$other_password" "$REGISTRY_DATA"/meta.db* && fail "the secret is stored in the clear"
expect_eq "ping a stored registry" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
  -X POST -H 'Content-Type: application/json' "http://$REGISTRY/api/v2.0/registries/ping" -d "{\"id\": $other_id}")"
expect_eq "ping with a wrong password" 400 "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
  -X POST -H 'Content-Type: application/json' "http://$REGISTRY/api/v2.0/registries/ping" \
  -d "{\"type\":\"harbor\",\"url\":\"http://127.0.0.1:$bport\",\"access_key\":\"admin\",\"access_secret\":\"wrong\"}")"
expect_eq "a registry that does not answer is refused" 400 "$(curl -s -o /dev/null -w '%{http_code}' \
  -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -X POST -H 'Content-Type: application/json' "http://$REGISTRY/api/v2.0/registries" \
  -d "{\"name\":\"dead\",\"type\":\"docker-registry\",\"url\":\"http://127.0.0.1:$(free_port)\"}")"
expect_eq "info" harbor "$(api GET "/registries/$other_id/info" | jq -r .type)"

step "push replication to docker-registry, excluding skip-*"
api POST /replication/policies -d "{\"name\":\"to-dist\",\"dest_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"override\":true,\"trigger\":{\"type\":\"manual\"},
  \"filters\":[{\"type\":\"name\",\"value\":\"rep/**\"},{\"type\":\"tag\",\"value\":\"skip-*\",\"decoration\":\"excludes\"}]}"
to_dist=$(api GET '/replication/policies?name=to-dist' | jq -r '.[0].id')
expect_eq "the policy's local source" Local "$(api GET "/replication/policies/$to_dist" | jq -r .src_registry.name)"
execution=$(run_policy "$to_dist")
api GET "/replication/executions/$execution" | jq -c .
expect_eq "execution" Succeed "$(api GET "/replication/executions/$execution" | jq -r .status)"
dist="127.0.0.1:$dport/rep/app"
expect_eq "image at docker-registry" "$multi" "$(digest_at "$dist" multi)"
expect_eq "index at docker-registry" "$index" "$(digest_at "$dist" v1)"
for child in $(jq -r '.manifests[].digest' "$(layout_blob "$CLIENT_TMPDIR/src/layout" "$index")"); do
  expect_eq "index child at docker-registry" "$child" "$(digest_at "$dist" "$child")"
done
expect_eq "referrer at docker-registry" "$referrer" "$(digest_at "$dist" "$referrer")"
expect_eq "the signature went with its image" "$signature" "$(digest_at "$dist" "$sig_tag")"
expect_eq "the excluded tag stayed home" "multi,$sig_tag,v1" \
  "$(curl -fsS "http://127.0.0.1:$dport/v2/rep/app/tags/list" | jq -r '.tags | sort | join(",")')"
task_log "$execution"

step "a second run sends nothing again"
again=$(run_policy "$to_dist")
expect_eq "second execution" Succeed "$(api GET "/replication/executions/$again" | jq -r .status)"
task_log "$again" | grep -q ' 0 blobs sent (0 bytes)' || fail "the second run sent blobs: $(task_log "$again")"
task_log "$again" | grep -q ' 0 manifests sent' || fail "the second run sent manifests"

step "push replication to the second Berth, flattened into mirror/"
api POST /replication/policies -d "{\"name\":\"to-other\",\"dest_registry\":{\"id\":$other_id},\"enabled\":true,
  \"override\":true,\"dest_namespace\":\"mirror\",\"filters\":[{\"type\":\"name\",\"value\":\"rep/app\"}]}"
to_other=$(api GET '/replication/policies?name=to-other' | jq -r '.[0].id')
execution=$(run_policy "$to_other")
expect_eq "execution" Succeed "$(api GET "/replication/executions/$execution" | jq -r .status)"
expect_eq "task destination" 'mirror/app [2 item(s) in total]' \
  "$(api GET "/replication/executions/$execution/tasks" | jq -r '.[0].dst_resource')"
creds="admin:$other_password"
mirror="127.0.0.1:$bport/mirror/app"
expect_eq "index at the other Berth" "$index" "$(digest_at "$mirror" v1 "$creds")"
expect_eq "skip-me too (no tag filter here)" "$multi" "$(digest_at "$mirror" skip-me "$creds")"
expect_eq "the signature at the other Berth" "$signature" "$(digest_at "$mirror" "$sig_tag" "$creds")"
expect_eq "referrer found by the other Berth's referrers API" "$referrer" \
  "$(curl -fsS -u "$creds" "http://127.0.0.1:$bport/v2/mirror/app/referrers/$multi" | jq -r '.manifests[0].digest')"
expect_eq "the project it created is private" false \
  "$(curl -fsS -u "$creds" "http://127.0.0.1:$bport/api/v2.0/projects/mirror" | jq -r .metadata.public)"

step "pull replication from docker-registry into a new project"
api POST /replication/policies -d "{\"name\":\"from-dist\",\"src_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"dest_namespace\":\"pulled\",\"filters\":[{\"type\":\"name\",\"value\":\"rep/app\"},{\"type\":\"tag\",\"value\":\"v1\"}]}"
from_dist=$(api GET '/replication/policies?name=from-dist' | jq -r '.[0].id')
execution=$(run_policy "$from_dist")
expect_eq "execution" Succeed "$(api GET "/replication/executions/$execution" | jq -r .status)"
local_creds="$REGISTRY_USER:$REGISTRY_PASSWORD"
expect_eq "index pulled" "$index" "$(digest_at "$REGISTRY/pulled/app" v1 "$local_creds")"
expect_eq "only the tag the filter selects" 'v1' \
  "$(curl -fsS -u "$local_creds" "http://$REGISTRY/v2/pulled/app/tags/list" | jq -r '.tags | join(",")')"

step "event-based replication on push"
api POST /projects -d '{"project_name":"ev","metadata":{"public":"false"}}'
api POST /replication/policies -d "{\"name\":\"on-push\",\"dest_registry\":{\"id\":$other_id},\"enabled\":true,
  \"trigger\":{\"type\":\"event_based\"},\"filters\":[{\"type\":\"name\",\"value\":\"ev/**\"}]}"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$local_creds" \
  "oci:$CLIENT_TMPDIR/src/layout:multi" "docker://$REGISTRY/ev/app:1"
for _ in $(seq 300); do
  got=$(digest_at "127.0.0.1:$bport/ev/app" 1 "$creds" 2>/dev/null || true)
  [[ "$got" == "$multi" ]] && break
  sleep 0.1
done
expect_eq "pushed here, replicated there" "$multi" "$got"
expect_eq "its execution's trigger" event_based \
  "$(api GET "/replication/executions?policy_id=$(api GET '/replication/policies?name=on-push' | jq -r '.[0].id')" |
    jq -r '.[0].trigger')"

step "event-based replication of a deletion"
api POST /replication/policies -d "{\"name\":\"on-delete\",\"dest_registry\":{\"id\":$other_id},\"enabled\":true,
  \"trigger\":{\"type\":\"event_based\"},\"deletion\":true,\"filters\":[{\"type\":\"name\",\"value\":\"ev/**\"}]}"
curl -fsS -u "$local_creds" -X DELETE "http://$REGISTRY/v2/ev/app/manifests/$multi" -o /dev/null
for _ in $(seq 300); do
  gone=$(curl -s -o /dev/null -w '%{http_code}' -u "$creds" -I "http://127.0.0.1:$bport/v2/ev/app/manifests/$multi")
  [[ "$gone" == 404 ]] && break
  sleep 0.1
done
expect_eq "deleted here, deleted there" 404 "$gone"

step "a scheduled policy runs by itself"
api POST /replication/policies -d "{\"name\":\"every-second\",\"dest_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"trigger\":{\"type\":\"scheduled\",\"trigger_settings\":{\"cron\":\"* * * * * *\"}},
  \"filters\":[{\"type\":\"name\",\"value\":\"rep/app\"}]}"
scheduled=$(api GET '/replication/policies?name=every-second' | jq -r '.[0].id')
for _ in $(seq 300); do
  ran=$(api GET "/replication/executions?policy_id=$scheduled&trigger=scheduled" | jq -r '[.[] | select(.status == "Succeed")] | length')
  [[ "$ran" -ge 1 ]] && break
  sleep 0.1
done
[[ "$ran" -ge 1 ]] || fail "the scheduled policy never ran"
api PUT "/replication/policies/$scheduled" -d "{\"name\":\"every-second\",\"dest_registry\":{\"id\":$dist_id},
  \"enabled\":false,\"trigger\":{\"type\":\"scheduled\",\"trigger_settings\":{\"cron\":\"* * * * * *\"}}}"

step "the destination dies in the middle of a blob and comes back"
api POST /projects -d '{"project_name":"big","metadata":{"public":"false"}}'
make_layout "$CLIENT_TMPDIR/big" --seed 11 --layers 1 --layer-bytes 6291456 --no-index
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$local_creds" \
  "oci:$CLIENT_TMPDIR/big:multi" "docker://$REGISTRY/big/app:1"
big=$(layout_ref_digest "$CLIENT_TMPDIR/big" multi)
api POST /replication/policies -d "{\"name\":\"slow\",\"dest_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"speed\":1024,\"filters\":[{\"type\":\"name\",\"value\":\"big/**\"}]}"
slow=$(api GET '/replication/policies?name=slow' | jq -r '.[0].id')
location=$(api POST /replication/executions -d "{\"policy_id\": $slow}" -D - -o /dev/null | tr -d '\r' | sed -n 's/^Location: //Ip')
execution=${location##*/}
sleep 2
kill "$dist_pid"
wait "$dist_pid" 2>/dev/null || true
sleep 1
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"
for _ in $(seq 600); do
  status=$(api GET "/replication/executions/$execution" | jq -r .status)
  [[ "$status" != InProgress ]] && break
  sleep 0.1
done
task_log "$execution"
expect_eq "the execution finished after the restart" Succeed "$status"
task_log "$execution" | grep -q 'failed' || fail "the transfer was never broken: the test did not test"
task_log "$execution" | grep -Eq 'resuming at byte [1-9]' || fail "the upload started over instead of resuming"
expect_eq "the big image at docker-registry" "$big" "$(digest_at "127.0.0.1:$dport/big/app" 1)"

step "an execution is stopped"
api POST /replication/policies -d "{\"name\":\"stopper\",\"dest_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"speed\":256,\"dest_namespace\":\"stopme\",\"filters\":[{\"type\":\"name\",\"value\":\"big/**\"}]}"
stopper=$(api GET '/replication/policies?name=stopper' | jq -r '.[0].id')
location=$(api POST /replication/executions -d "{\"policy_id\": $stopper}" -D - -o /dev/null | tr -d '\r' | sed -n 's/^Location: //Ip')
execution=${location##*/}
sleep 1
api PUT "/replication/executions/$execution"
for _ in $(seq 100); do
  status=$(api GET "/replication/executions/$execution" | jq -r .status)
  [[ "$status" != InProgress ]] && break
  sleep 0.1
done
expect_eq "stopped within 10 s" Stopped "$status"
expect_eq "its task" Stopped "$(api GET "/replication/executions/$execution/tasks" | jq -r '.[0].status')"
