#!/usr/bin/env bash
# Proxy-cache projects against a real upstream: Debian's docker-registry behind a forwarding proxy
# that can answer 429 or 500 on demand. A pull through Berth fetches from the upstream and keeps
# what it pulled; with the upstream rate-limiting, failing or gone, the kept copy is served; the
# same blobs pulled by several clients at once are fetched from the upstream once; pushes are
# refused; the project gets Harbor's 7-day retention policy; its registry cannot be deleted.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

if [[ "$REGISTRY_KIND" != berth ]]; then
  echo "proxy-cache projects are Berth's; nothing to test against $REGISTRY_KIND"
  exit 0
fi
command -v docker-registry >/dev/null || fail "docker-registry is not installed"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
creds="$REGISTRY_USER:$REGISTRY_PASSWORD"
digest_at() { echo "sha256:$(skopeo inspect --tls-verify=false --creds "$creds" --raw "docker://$1" | sha256_stdin)"; }

step "the upstream: docker-registry with two images, behind a proxy that can fail on demand"
dport=$(free_port)
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"
dist_pid=$LAST_PID
make_layout "$CLIENT_TMPDIR/one" --seed 21
make_layout "$CLIENT_TMPDIR/two" --seed 22 --layers 3 --no-index
one=$(layout_ref_digest "$CLIENT_TMPDIR/one" multi)
one_index=$(layout_ref_digest "$CLIENT_TMPDIR/one" index)
two=$(layout_ref_digest "$CLIENT_TMPDIR/two" multi)
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$CLIENT_TMPDIR/one:multi" "docker://127.0.0.1:$dport/lib/one:1"
skopeo copy --quiet --preserve-digests --all --dest-tls-verify=false "oci:$CLIENT_TMPDIR/one:index" "docker://127.0.0.1:$dport/lib/one:multiarch"
skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci:$CLIENT_TMPDIR/two:multi" "docker://127.0.0.1:$dport/lib/two:1"
fport=$(free_port)
control="$CLIENT_TMPDIR/fault-mode"
upstream_log="$CLIENT_TMPDIR/upstream.log"
: >"$control"
python3 "$CLIENTS_DIR/fault_proxy.py" "$fport" "$dport" "$control" "$upstream_log" &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$fport/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

step "a proxy-cache project of it"
api POST /registries -d "{\"name\":\"up\",\"type\":\"docker-registry\",\"url\":\"http://127.0.0.1:$fport\"}"
up=$(api GET '/registries?name=up' | jq -r '.[0].id')
api POST /projects -d "{\"project_name\":\"hub\",\"registry_id\":$up,\"metadata\":{\"public\":\"false\"}}"
expect_eq "the project names its registry" "$up" "$(api GET /projects/hub | jq -r .registry_id)"
retention=$(api GET /projects/hub | jq -r .metadata.retention_id)
expect_eq "Harbor's 7-day default" 'nDaysSinceLastPull=7' \
  "$(api GET "/retentions/$retention" | jq -r '.rules[0] | "\(.template)=\(.params.nDaysSinceLastPull)"')"
expect_eq "its registry cannot be deleted" 412 "$(curl -s -o /dev/null -w '%{http_code}' -u "$creds" -X DELETE \
  "http://$REGISTRY/api/v2.0/registries/$up")"

step "pull through, digests unchanged"
skopeo copy --quiet --src-tls-verify=false --src-creds "$creds" "docker://$REGISTRY/hub/lib/one:1" "oci:$CLIENT_TMPDIR/pulled:one"
expect_eq "manifest through the proxy" "$one" "$(digest_at "$REGISTRY/hub/lib/one:1")"
check_layout_blobs "$CLIENT_TMPDIR/pulled"
skopeo copy --quiet --all --src-tls-verify=false --src-creds "$creds" "docker://$REGISTRY/hub/lib/one:multiarch" \
  "oci:$CLIENT_TMPDIR/pulled:multiarch"
expect_eq "index through the proxy" "$one_index" "$(digest_at "$REGISTRY/hub/lib/one:multiarch")"

step "kept: the tag is served while the upstream answers 429, 500, or is gone"
for _ in $(seq 300); do  # the keeper stores the manifests after the pull
  curl -fsS -u "$creds" "http://$REGISTRY/api/v2.0/projects/hub/repositories/lib%252Fone/artifacts" 2>/dev/null |
    jq -e --arg d "$one_index" 'map(.digest) | index($d) != null' >/dev/null && break
  sleep 0.1
done
for mode in 429 500; do
  echo "$mode" >"$control"
  expect_eq "served from the cache while the upstream answers $mode" "$one" "$(digest_at "$REGISTRY/hub/lib/one:1")"
  rm -rf "$CLIENT_TMPDIR/again"
  skopeo copy --quiet --all --src-tls-verify=false --src-creds "$creds" "docker://$REGISTRY/hub/lib/one:multiarch" \
    "oci:$CLIENT_TMPDIR/again:multiarch"
  check_layout_blobs "$CLIENT_TMPDIR/again"
done
: >"$control"
kill "$dist_pid"
wait "$dist_pid" 2>/dev/null || true
expect_eq "served from the cache with the upstream gone" "$one" "$(digest_at "$REGISTRY/hub/lib/one:1")"
status=$(curl -s -o /dev/null -w '%{http_code}' -u "$creds" "http://$REGISTRY/v2/hub/lib/never/manifests/1")
[[ "$status" == 404 || "$status" == 503 ]] || fail "an image never pulled, upstream gone: HTTP $status"
start_distribution "$CLIENT_TMPDIR/distribution" "$dport"

step "five clients pull a new image at once: each blob comes from the upstream once"
: >"$upstream_log"
for i in 1 2 3 4 5; do
  skopeo copy --quiet --src-tls-verify=false --src-creds "$creds" "docker://$REGISTRY/hub/lib/two:1" \
    "oci:$CLIENT_TMPDIR/many$i:two" &
  waits+=($!)
done
for pid in "${waits[@]}"; do wait "$pid" || fail "a concurrent pull failed"; done
for i in 1 2 3 4 5; do check_layout_blobs "$CLIENT_TMPDIR/many$i"; done
for blob in $(jq -r '.layers[].digest, .config.digest' "$(layout_blob "$CLIENT_TMPDIR/two" "$two")"); do
  expect_eq "upstream GETs of $blob" 1 "$(grep -c "^GET /v2/lib/two/blobs/$blob" "$upstream_log")"
done

step "no push into a proxy project"
expect_eq "a push is denied" 403 "$(curl -s -o /dev/null -w '%{http_code}' -u "$creds" -X POST \
  "http://$REGISTRY/v2/hub/lib/one/blobs/uploads/")"
skopeo copy --quiet --dest-tls-verify=false --dest-creds "$creds" "oci:$CLIENT_TMPDIR/two:multi" \
  "docker://$REGISTRY/hub/lib/mine:1" 2>/dev/null && fail "skopeo pushed into the proxy project"
echo "proxy cache ok"
