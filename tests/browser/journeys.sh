#!/usr/bin/env bash
# The portal's user journeys in a real browser (portal/e2e/journeys.test.mjs), run by
# with_registry.sh against a fresh `berth serve`. Prepares what the journeys push and scan: an OCI
# layout with a multi-platform index and a Debian bookworm root filesystem (the package database of
# the sample in tests/data/vulndb-sample), a Helm chart package, and the sample's vulnerability
# data, imported offline.
# shellcheck source=tests/clients/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../clients/lib.sh"

[[ "$REGISTRY_KIND" == berth ]] || { echo "journeys: the portal is Berth's; nothing to run against $REGISTRY_KIND"; exit 77; }
portal_dir=$(cd "$CLIENTS_DIR/../../portal" && pwd)
sample="$CLIENTS_DIR/../data/vulndb-sample/debian"
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x "$chromium" ]] || fail "$chromium is not installed (scripts/deps.sh installs it)"
[[ -d "$portal_dir/node_modules/playwright-core" ]] || fail "portal/node_modules is missing (scripts/deps.sh runs npm ci)"

step "the images the journeys push"
tar -C "$sample/rootfs-bookworm-minbase" --numeric-owner --owner=0 --group=0 -czf "$CLIENT_TMPDIR/rootfs.tar.gz" etc usr var
export LAYOUT="$CLIENT_TMPDIR/layout"
make_layout "$LAYOUT" --layers 2 --layer-bytes 4096 --tiny 1 --rootfs-layer "$CLIENT_TMPDIR/rootfs.tar.gz"

step "a Helm chart (its package; the journey pushes it as helm does, an OCI artifact)"
mkdir -p "$CLIENT_TMPDIR/chart/hello"
printf 'apiVersion: v2\nname: hello\nversion: 0.1.0\ndescription: A chart for the portal journeys\n' \
  >"$CLIENT_TMPDIR/chart/hello/Chart.yaml"
printf 'replicaCount: 2\nimage:\n  repository: team-a/app\n' >"$CLIENT_TMPDIR/chart/hello/values.yaml"
printf '# Hello chart\n\nDeploys the hello app.\n' >"$CLIENT_TMPDIR/chart/hello/README.md"
export CHART_TGZ="$CLIENT_TMPDIR/hello-0.1.0.tgz"
tar -C "$CLIENT_TMPDIR/chart" --owner=0 --group=0 -czf "$CHART_TGZ" hello

step "the vulnerability database: the sample Debian tracker"
awk -F'\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "") print "bookworm\t" $1 "\t" $i }' \
  "$sample/rootfs-bookworm-minbase/bookworm-source-versions.tsv" >"$CLIENT_TMPDIR/sources.tsv"
"$BERTH_BINARY" vulndb import --data "$REGISTRY_DATA" --source debian --debian-sources "$CLIENT_TMPDIR/sources.tsv" \
  "$sample/vuln-list-debian" >/dev/null

step "journeys"
export CHROMIUM="$chromium"
export BROWSER_ARTIFACTS="${BROWSER_ARTIFACTS:-$CLIENT_TMPDIR/artifacts}"
rm -rf "$BROWSER_ARTIFACTS"
mkdir -p "$BROWSER_ARTIFACTS"
"${BERTH_NODE:-node}" --test "$portal_dir/e2e/journeys.test.mjs"
echo "screenshots: $BROWSER_ARTIFACTS"
