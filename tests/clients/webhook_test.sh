#!/usr/bin/env bash
# Webhooks against a receiver started here: every event type reaches it in Harbor's Default
# format and in CloudEvents 1.0, with the auth header; a receiver that fails is retried with
# backoff until it answers, each attempt in the task's log with its status code; a receiver that
# hangs does not slow a push.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

if [[ "$REGISTRY_KIND" != berth ]]; then
  echo "webhooks are Berth's API; nothing to test against $REGISTRY_KIND"
  exit 0
fi
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
creds="$REGISTRY_USER:$REGISTRY_PASSWORD"
received="$CLIENT_TMPDIR/received.jsonl"
: >"$received"
rport=$(free_port)
python3 "$CLIENTS_DIR/webhook_receiver.py" "$rport" "$received" &
pids+=($!)
sleep 0.5
hook="http://127.0.0.1:$rport"

# wait_for JQ_FILTER: waits until some received line matches.
wait_for() {
  for _ in $(seq 300); do
    jq -e -s "map(select($1)) | length > 0" "$received" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "no webhook matching $1 arrived; got: $(jq -c -s 'map({path, type: (.body.type)})' "$received")"
}

step "a project with two policies on every event: Default and CloudEvents"
api POST /projects -d '{"project_name":"hooks","metadata":{"public":"false"}}'
events=$(api GET /projects/hooks/webhook/events -H 'X-Is-Resource-Name: true' | jq -c .event_type)
expect_eq "event types" 9 "$(echo "$events" | jq length)"
for format in Default CloudEvents; do
  api POST /projects/hooks/webhook/policies -H 'X-Is-Resource-Name: true' -d "{\"name\":\"$format\",\"enabled\":true,
    \"event_types\":$events,\"targets\":[{\"type\":\"http\",\"address\":\"$hook/ok\",\"auth_header\":\"Bearer s3cret\",
    \"payload_format\":\"$format\"}]}"
done
expect_eq "policies" 'CloudEvents,Default' \
  "$(api GET /projects/hooks/webhook/policies -H 'X-Is-Resource-Name: true' | jq -r 'map(.name) | sort | join(",")')"

step "push, pull and delete"
make_layout "$CLIENT_TMPDIR/layout" --seed 31 --no-index
image=$(layout_ref_digest "$CLIENT_TMPDIR/layout" multi)
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
  "oci:$CLIENT_TMPDIR/layout:multi" "docker://$REGISTRY/hooks/app:1"
wait_for '.body.type == "PUSH_ARTIFACT" and .body.event_data.resources[0].tag == "1"'
push=$(jq -c -s 'map(select(.body.type == "PUSH_ARTIFACT" and .body.event_data.resources[0].tag == "1"))[0]' "$received")
expect_eq "Default: digest" "$image" "$(echo "$push" | jq -r '.body.event_data.resources[0].digest')"
expect_eq "Default: repository" 'hooks/app private' \
  "$(echo "$push" | jq -r '.body.event_data.repository | "\(.repo_full_name) \(.repo_type)"')"
expect_eq "Default: operator" "$REGISTRY_USER" "$(echo "$push" | jq -r .body.operator)"
expect_eq "the auth header" 'Bearer s3cret' "$(echo "$push" | jq -r .authorization)"
wait_for '.body.type == "harbor.artifact.pushed"'
ce=$(jq -c -s 'map(select(.body.type == "harbor.artifact.pushed"))[0]' "$received")
expect_eq "CloudEvents: specversion" '1.0' "$(echo "$ce" | jq -r .body.specversion)"
expect_eq "CloudEvents: content type" 'application/cloudevents+json' "$(echo "$ce" | jq -r .content_type)"
expect_eq "CloudEvents: data" "$image" "$(echo "$ce" | jq -r '.body.data.resources[0].digest')"
[[ -n "$(echo "$ce" | jq -r '.body.id // empty')" && -n "$(echo "$ce" | jq -r '.body.time // empty')" ]] ||
  fail "CloudEvents without id or time"
skopeo inspect --tls-verify=false --creds "$creds" --raw "docker://$REGISTRY/hooks/app:1" >/dev/null
wait_for '.body.type == "PULL_ARTIFACT"'
wait_for '.body.type == "harbor.artifact.pulled"'

step "a scan: SCANNING_COMPLETED"
api POST /projects/hooks/repositories/app/artifacts/1/scan -H 'X-Is-Resource-Name: true' -o /dev/null
wait_for '.body.type == "SCANNING_COMPLETED"'
wait_for '.body.type == "harbor.scan.completed"'

step "a scan that fails: SCANNING_FAILED (a layer that is not a tar)"
head -c 4096 /dev/urandom >"$CLIENT_TMPDIR/junk.bin"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(sha256_file "$CLIENT_TMPDIR/junk.bin")" >"$CLIENT_TMPDIR/junk-config.json"
for f in junk.bin junk-config.json; do
  curl -fsS -u "$creds" -X POST --data-binary "@$CLIENT_TMPDIR/$f" -H 'Content-Type: application/octet-stream' \
    "http://$REGISTRY/v2/hooks/junk/blobs/uploads/?digest=sha256:$(sha256_file "$CLIENT_TMPDIR/$f")" >/dev/null
done
jq -cn --arg c "sha256:$(sha256_file "$CLIENT_TMPDIR/junk-config.json")" --arg cs "$(stat -c %s "$CLIENT_TMPDIR/junk-config.json")" \
  --arg l "sha256:$(sha256_file "$CLIENT_TMPDIR/junk.bin")" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: ($cs | tonumber)},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: 4096}]}' \
  >"$CLIENT_TMPDIR/junk.json"
curl -fsS -u "$creds" -X PUT --data-binary "@$CLIENT_TMPDIR/junk.json" \
  -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/hooks/junk/manifests/1" >/dev/null
api POST /projects/hooks/repositories/junk/artifacts/1/scan -H 'X-Is-Resource-Name: true' -o /dev/null
wait_for '.body.type == "SCANNING_FAILED"'
wait_for '.body.type == "harbor.scan.failed"'

step "quota: QUOTA_WARNING then QUOTA_EXCEED"
project_id=$(api GET /projects/hooks -H 'X-Is-Resource-Name: true' | jq -r .project_id)
quota=$(api GET "/quotas?reference=project&reference_id=$project_id" | jq -c '.[0]')
api PUT "/quotas/$(echo "$quota" | jq -r .id)" -d "{\"hard\":{\"storage\":$(($(echo "$quota" | jq -r .used.storage) + 2000000))}}"
make_layout "$CLIENT_TMPDIR/big" --seed 32 --layers 1 --layer-bytes 1800000 --no-index
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
  "oci:$CLIENT_TMPDIR/big:multi" "docker://$REGISTRY/hooks/big:1" 2>/dev/null || true
make_layout "$CLIENT_TMPDIR/bigger" --seed 33 --layers 1 --layer-bytes 900000 --no-index
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
  "oci:$CLIENT_TMPDIR/bigger:multi" "docker://$REGISTRY/hooks/bigger:1" 2>/dev/null &&
  fail "a push over the quota went through"
wait_for '.body.type == "QUOTA_WARNING" or .body.type == "QUOTA_EXCEED"'
wait_for '.body.type == "QUOTA_EXCEED"'
wait_for '.body.type == "harbor.quota.exceeded"'

step "tag retention: TAG_RETENTION"
api POST /retentions -d "{\"algorithm\":\"or\",\"rules\":[{\"disabled\":false,\"action\":\"retain\",
  \"template\":\"latestPushedK\",\"params\":{\"latestPushedK\":1},
  \"tag_selectors\":[{\"kind\":\"doublestar\",\"decoration\":\"matches\",\"pattern\":\"**\"}],
  \"scope_selectors\":{\"repository\":[{\"kind\":\"doublestar\",\"decoration\":\"repoMatches\",\"pattern\":\"**\"}]}}],
  \"trigger\":{\"kind\":\"Schedule\",\"settings\":{\"cron\":\"\"}},\"scope\":{\"level\":\"project\",\"ref\":$project_id}}"
retention=$(api GET /projects/hooks -H 'X-Is-Resource-Name: true' | jq -r .metadata.retention_id)
api POST "/retentions/$retention/executions" -d '{"dry_run":true}'
wait_for '.body.type == "TAG_RETENTION"'
wait_for '.body.type == "harbor.tag_retention.finished"'

step "replication: REPLICATION"
dport=$(free_port)
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"
api POST /registries -d "{\"name\":\"dist\",\"type\":\"docker-registry\",\"url\":\"http://127.0.0.1:$dport\"}"
dist_id=$(api GET '/registries?name=dist' | jq -r '.[0].id')
api POST /replication/policies -d "{\"name\":\"out\",\"dest_registry\":{\"id\":$dist_id},\"enabled\":true,
  \"filters\":[{\"type\":\"name\",\"value\":\"hooks/app\"}]}"
api POST /replication/executions -d "{\"policy_id\": $(api GET '/replication/policies?name=out' | jq -r '.[0].id')}"
wait_for '.body.type == "REPLICATION" and .body.event_data.replication.job_status == "Succeed"'
wait_for '.body.type == "harbor.replication.status.changed"'

step "delete: DELETE_ARTIFACT"
curl -fsS -u "$creds" -X DELETE "http://$REGISTRY/v2/hooks/app/manifests/$image" -o /dev/null
wait_for '.body.type == "DELETE_ARTIFACT" and .body.event_data.resources[0].digest == "'"$image"'"'
wait_for '.body.type == "harbor.artifact.deleted"'
echo "received: $(jq -r -s 'map(.body.type) | unique | join(" ")' "$received")"
for type in $(echo "$events" | jq -r '.[]'); do
  jq -e -s --arg t "$type" 'map(select(.body.type == $t)) | length > 0' "$received" >/dev/null ||
    fail "no $type arrived"
done

step "a failing receiver is retried with backoff; the log shows each attempt"
api POST /projects/hooks/webhook/policies -H 'X-Is-Resource-Name: true' -d "{\"name\":\"flaky\",\"enabled\":true,
  \"event_types\":[\"PUSH_ARTIFACT\"],\"targets\":[{\"address\":\"$hook/flaky\"}]}"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
  "oci:$CLIENT_TMPDIR/layout:multi" "docker://$REGISTRY/hooks/app:2"
for _ in $(seq 600); do
  [[ "$(jq -s 'map(select(.path == "/flaky")) | length' "$received")" -ge 3 ]] && break
  sleep 0.1
done
expect_eq "deliveries to /flaky: two refused, then one taken" '500,500,200' \
  "$(jq -r -s 'map(select(.path == "/flaky") | .status) | map(tostring) | join(",")' "$received")"
flaky=$(api GET /projects/hooks/webhook/policies -H 'X-Is-Resource-Name: true' | jq -r 'map(select(.name == "flaky"))[0].id')
execution=$(api GET "/projects/hooks/webhook/policies/$flaky/executions" -H 'X-Is-Resource-Name: true' | jq -r '.[0].id')
for _ in $(seq 100); do
  task=$(api GET "/projects/hooks/webhook/policies/$flaky/executions/$execution/tasks" -H 'X-Is-Resource-Name: true')
  [[ "$(echo "$task" | jq -r '.[0].status')" == Success ]] && break
  sleep 0.1
done
expect_eq "the task" 'Success 3 200' "$(echo "$task" | jq -r '.[0] | "\(.status) \(.run_count) \(.extra_attrs.status_code)"')"
log=$(api GET "/projects/hooks/webhook/policies/$flaky/executions/$execution/tasks/$(echo "$task" | jq -r '.[0].id')/log" \
  -H 'X-Is-Resource-Name: true')
echo "$log"
expect_eq "attempts in the log" 3 "$(grep -c 'attempt [0-9] of' <<<"$log")"
grep -q 'HTTP 500' <<<"$log" || fail "the log does not show the refusals"

step "a receiver that hangs does not slow a push"
api POST /projects/hooks/webhook/policies -H 'X-Is-Resource-Name: true' -d "{\"name\":\"hang\",\"enabled\":true,
  \"event_types\":[\"PUSH_ARTIFACT\",\"PULL_ARTIFACT\"],\"targets\":[{\"address\":\"$hook/hang\"}]}"
for i in 3 4 5 6 7 8; do
  start=$(date +%s%N)
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "$creds" \
    "oci:$CLIENT_TMPDIR/layout:multi" "docker://$REGISTRY/hooks/app:$i"
  elapsed=$((($(date +%s%N) - start) / 1000000))
  echo "push $i: $elapsed ms"
  # A delivery times out after 10 s; a push that waited for one would take that long.
  [[ "$elapsed" -lt 9000 ]] || fail "push $i took $elapsed ms with a hanging receiver"
done
echo "webhooks ok"
