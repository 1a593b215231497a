#!/usr/bin/env bash
# Vulnerability scanning with a real Debian image: a `debootstrap --variant=minbase bookworm`
# root filesystem packed as an image, pushed with skopeo, scanned by Berth (on demand, on push,
# per platform of an index), its report and SBOM read through Harbor's API and the OCI referrers
# API, and the pull policy (prevent vulnerable images, CVE allowlist, only scanned) enforced on
# pulls. The vulnerability data is the sample Debian tracker in tests/data/vulndb-sample.
# Needs root (debootstrap) and the Debian archive of the machine's apt configuration. The packed
# root filesystem is cached in BERTH_TEST_CACHE (the build directory) between runs.
# shellcheck source=tests/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "$REGISTRY_KIND" == berth ]] || { echo "scan_test: scanning is Berth's; nothing to run against $REGISTRY_KIND"; exit 77; }
sample="$CLIENTS_DIR/../data/vulndb-sample/debian"
report_type='application/vnd.security.vulnerability.report; version=1.1'

step "a Debian bookworm minbase image (debootstrap)"
cache_dir=${BERTH_TEST_CACHE:-$CLIENT_TMPDIR}
mkdir -p "$cache_dir"
rootfs_tar="$cache_dir/bookworm-minbase.tar.gz"
if [[ ! -s "$rootfs_tar" ]]; then
  [[ $(id -u) == 0 ]] || fail "debootstrap needs root"
  command -v debootstrap >/dev/null || fail "debootstrap is not installed (scripts/deps.sh installs it)"
  mirror=$(debian_mirror)
  debootstrap --variant=minbase bookworm "$CLIENT_TMPDIR/rootfs" "$mirror" >"$CLIENT_TMPDIR/debootstrap.log" 2>&1 ||
    { tail -20 "$CLIENT_TMPDIR/debootstrap.log"; fail "debootstrap"; }
  rm -rf "$CLIENT_TMPDIR"/rootfs/var/cache/apt/archives/*.deb "$CLIENT_TMPDIR"/rootfs/var/lib/apt/lists/*
  tar -C "$CLIENT_TMPDIR/rootfs" --numeric-owner -czf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$CLIENT_TMPDIR/rootfs"
fi
layout="$CLIENT_TMPDIR/layout"
make_layout "$layout" --no-multi --no-index --tiny 1 --rootfs-layer "$rootfs_tar"

step "the vulnerability database: the sample Debian tracker, imported while the server runs"
awk -F'\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "") print "bookworm\t" $1 "\t" $i }' \
  "$sample/rootfs-bookworm-minbase/bookworm-source-versions.tsv" >"$CLIENT_TMPDIR/sources.tsv"
"$BERTH_BINARY" vulndb import --data "$REGISTRY_DATA" --source debian --debian-sources "$CLIENT_TMPDIR/sources.tsv" \
  "$sample/vuln-list-debian"
# What `berth scan` finds in the same image from the layout, read straight from disk.
"$BERTH_BINARY" scan --data "$REGISTRY_DATA" --format json "$layout" | jq -s '.[] | select(.artifact.repository | startswith("rootfs ("))' \
  >"$CLIENT_TMPDIR/offline.json"
expected_total=$(jq '.vulnerabilities | length' "$CLIENT_TMPDIR/offline.json")
((expected_total > 10)) || fail "the offline scan found only $expected_total vulnerabilities"
echo "offline scan: $expected_total vulnerabilities"

step "push, then scan on demand"
skopeo copy --quiet "oci:$layout:rootfs" "docker://$REGISTRY/clients/debian:bookworm" --dest-tls-verify=false
digest=$(skopeo inspect --tls-verify=false "docker://$REGISTRY/clients/debian:bookworm" | jq -r .Digest)
api POST "/projects/clients/repositories/debian/artifacts/bookworm/scan" -o /dev/null -w '%{http_code}\n' |
  grep -qx 202 || fail "scan request not accepted"

# wait_scan REPO REFERENCE: waits until the artifact's scan finished; prints its overview.
wait_scan() {
  local deadline=$((SECONDS + 120)) overview status
  while ((SECONDS < deadline)); do
    overview=$(api GET "/projects/${1%%/*}/repositories/${1#*/}/artifacts/$2?with_scan_overview=true" |
      jq -c --arg t "$report_type" '.scan_overview[$t] // empty')
    status=$(jq -r '.scan_status // ""' <<<"${overview:-{\}}")
    if [[ "$status" == Success || "$status" == Error ]]; then
      echo "$overview"
      return 0
    fi
    sleep 0.3
  done
  fail "the scan of $1:$2 did not finish"
}
overview=$(wait_scan clients/debian bookworm)
expect_eq "scan status" Success "$(jq -r .scan_status <<<"$overview")"
expect_eq "total in the overview" "$expected_total" "$(jq -r .summary.total <<<"$overview")"
expect_eq "highest severity" Low "$(jq -r .severity <<<"$overview")"

report=$(api GET "/projects/clients/repositories/debian/artifacts/bookworm/additions/vulnerabilities")
expect_eq "vulnerabilities in the report" "$expected_total" "$(jq --arg t "$report_type" '.[$t].vulnerabilities | length' <<<"$report")"
expect_eq "the report names the digest" "$digest" "$(jq -r --arg t "$report_type" '.[$t].artifact.digest' <<<"$report")"
expect_eq "apt's CVE-2011-3374" "Low" \
  "$(jq -r --arg t "$report_type" '.[$t].vulnerabilities[] | select(.id == "CVE-2011-3374" and .package == "apt") | .severity' <<<"$report")"
offline_findings=$(jq -c '[.vulnerabilities[] | [.id, .package, .version, .fix_version, .severity]] | sort' "$CLIENT_TMPDIR/offline.json")
served_findings=$(jq -c --arg t "$report_type" '[.[$t].vulnerabilities[] | [.id, .package, .version, .fix_version, .severity]] | sort' <<<"$report")
[[ "$offline_findings" == "$served_findings" ]] || fail "the registry's findings differ from berth scan's: $served_findings"
echo "ok: the registry's findings equal berth scan's on the same image"

step "an SBOM, attached to the image as an OCI artifact"
api POST "/projects/clients/repositories/debian/artifacts/bookworm/scan" -d '{"scan_type":"sbom"}' -o /dev/null
deadline=$((SECONDS + 120))
sbom_digest=
while ((SECONDS < deadline)); do
  sbom_digest=$(curl -fsS -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/debian/referrers/$digest" |
    jq -r '.manifests[] | select(.artifactType == "application/vnd.goharbor.harbor.sbom.v1") | .digest' | head -n1)
  [[ -n "$sbom_digest" ]] && break
  sleep 0.3
done
[[ -n "$sbom_digest" ]] || fail "no SBOM in the referrers of $digest"
# Pulled with a standard client: skopeo copies the SBOM artifact like any other.
skopeo copy --quiet "docker://$REGISTRY/clients/debian@$sbom_digest" "oci:$CLIENT_TMPDIR/sbom:sbom" --src-tls-verify=false
cdx_blob=$(jq -r '.layers[] | select(.mediaType == "application/vnd.cyclonedx+json") | .digest' \
  "$CLIENT_TMPDIR/sbom/blobs/sha256/${sbom_digest#sha256:}")
expect_eq "CycloneDX document" "CycloneDX 1.5" \
  "$(jq -r '.bomFormat + " " + .specVersion' "$CLIENT_TMPDIR/sbom/blobs/sha256/${cdx_blob#sha256:}")"
spdx=$(api GET "/projects/clients/repositories/debian/artifacts/bookworm/additions/sbom?format=spdx")
expect_eq "SPDX document" "SPDX-2.3" "$(jq -r .spdxVersion <<<"$spdx")"
packages=$(jq '[.packages[] | select(.primaryPackagePurpose == "LIBRARY")] | length' <<<"$spdx")
((packages > 50)) || fail "the SPDX document lists only $packages packages"

step "pull policy: prevent vulnerable images"
api PUT /projects/clients -d '{"metadata":{"prevent_vul":"true","severity":"low"}}'
code=$(curl -s -o "$CLIENT_TMPDIR/refused.json" -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/clients/debian/manifests/bookworm")
expect_eq "pull refused" 412 "$code"
expect_eq "error code" PROJECTPOLICYVIOLATION "$(jq -r '.errors[0].code' "$CLIENT_TMPDIR/refused.json")"
if skopeo copy --quiet "docker://$REGISTRY/clients/debian:bookworm" "oci:$CLIENT_TMPDIR/pulled:x" --src-tls-verify=false \
  2>"$CLIENT_TMPDIR/skopeo.err"; then
  fail "skopeo pulled an image the policy refuses"
fi
grep -q "cannot be pulled due to configured policy" "$CLIENT_TMPDIR/skopeo.err" || fail "skopeo did not show the reason"

# Every vulnerability at Low or above in the project's CVE allowlist: the pull goes through.
items=$(jq -c --arg t "$report_type" '[.[$t].vulnerabilities[] | select(.severity != "Unknown") | {cve_id: .id}] | unique' <<<"$report")
api PUT /projects/clients -d "{\"cve_allowlist\":{\"items\":$items}}"
skopeo copy --quiet "docker://$REGISTRY/clients/debian:bookworm" "oci:$CLIENT_TMPDIR/pulled:x" --src-tls-verify=false
echo "ok: pull with every vulnerability allowlisted"
# An expired allowlist exempts nothing.
api PUT /projects/clients -d "{\"cve_allowlist\":{\"items\":$items,\"expires_at\":1}}"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/debian/manifests/bookworm")
expect_eq "pull with an expired allowlist" 412 "$code"
# A threshold above what the image has: allowed.
api PUT /projects/clients -d '{"metadata":{"severity":"critical"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/debian/manifests/bookworm")
expect_eq "pull under a critical threshold" 200 "$code"

step "pull policy: only scanned images"
skopeo copy --quiet "oci:$layout:tiny-000" "docker://$REGISTRY/clients/tiny:1" --dest-tls-verify=false
api PUT /projects/clients -d '{"metadata":{"prevent_vul":"false","prevent_unscanned":"true"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/tiny/manifests/1")
expect_eq "unscanned image refused" 412 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/debian/manifests/bookworm")
expect_eq "scanned image allowed" 200 "$code"
api POST "/projects/clients/repositories/tiny/artifacts/1/scan" -o /dev/null
expect_eq "tiny image scanned" Success "$(wait_scan clients/tiny 1 | jq -r .scan_status)"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/clients/tiny/manifests/1")
expect_eq "the same image once scanned" 200 "$code"
api PUT /projects/clients -d '{"metadata":{"prevent_unscanned":"false"}}'

step "scan on push, per platform of an index"
api PUT /projects/open -d '{"metadata":{"auto_scan":"true"}}'
skopeo copy --quiet --all "oci:$layout:rootfs-index" "docker://$REGISTRY/open/debian:multi" --dest-tls-verify=false
overview=$(wait_scan open/debian multi)
expect_eq "index scan status" Success "$(jq -r .scan_status <<<"$overview")"
expect_eq "index total (both platforms have the same packages)" "$expected_total" "$(jq -r .summary.total <<<"$overview")"
for child in $(api GET "/projects/open/repositories/debian/artifacts/multi" | jq -r '.references[].child_digest'); do
  child_overview=$(wait_scan open/debian "$child")
  expect_eq "platform image $child" "Success $expected_total" "$(jq -r '.scan_status + " " + (.summary.total | tostring)' <<<"$child_overview")"
done

step "a changed vulnerability database refreshes stored reports without reading layers"
changed="$CLIENT_TMPDIR/tracker"
cp -r "$sample/vuln-list-debian" "$changed"
find "$changed" -name 'CVE-2011-3374.json' -delete
"$BERTH_BINARY" vulndb import --data "$REGISTRY_DATA" --source debian --debian-sources "$CLIENT_TMPDIR/sources.tsv" "$changed"
api POST /vulndb/update -o /dev/null
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  total=$(api GET "/projects/clients/repositories/debian/artifacts/bookworm?with_scan_overview=true" |
    jq -r --arg t "$report_type" '.scan_overview[$t].summary.total')
  [[ "$total" == $((expected_total - 2)) ]] && break
  sleep 0.3
done
expect_eq "findings after the refresh (apt and libapt-pkg lose CVE-2011-3374)" $((expected_total - 2)) "$total"
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  total=$(api GET "/projects/open/repositories/debian/artifacts/multi?with_scan_overview=true" |
    jq -r --arg t "$report_type" '.scan_overview[$t].summary.total')
  [[ "$total" == $((expected_total - 2)) ]] && break
  sleep 0.3
done
expect_eq "the index's union after the refresh" $((expected_total - 2)) "$total"

echo "scan test passed"
