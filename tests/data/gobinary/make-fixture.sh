#!/usr/bin/env bash
# Rebuilds tests/data/gobinary/hello-go1.19 (see README.md). Needs Debian's golang-1.19-go;
# no network: the two dependency modules are served from a local file:// module proxy.
set -euo pipefail
out_dir=$(cd "$(dirname "$0")" && pwd)
work=/build/hello  # the build directory is recorded in the binary: keep it for identical output
rm -rf "$work" /tmp/berth-gofixture
mkdir -p "$work/localdep" /tmp/berth-gofixture
export PATH=/usr/lib/go-1.19/bin:$PATH GOPATH=/tmp/berth-gofixture/gopath GOCACHE=/tmp/berth-gofixture/cache \
  GOPROXY=file:///tmp/berth-gofixture/proxy GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOOS=linux GOARCH=amd64

cat > "$work/go.mod" <<'EOF'
module example.com/berth/hello

go 1.19

require (
	example.com/greeting v1.2.3
	example.com/localdep v0.0.0
	example.com/strutil v0.3.0
)

replace example.com/greeting v1.2.3 => example.com/greeting-fork v1.2.4

replace example.com/localdep => ./localdep
EOF
cat > "$work/main.go" <<'EOF'
// A tiny program whose build info names three dependency modules (see README.md).
package main

import (
	"os"

	"example.com/greeting"
	"example.com/localdep"
	"example.com/strutil"
)

var version = "dev"

func main() {
	os.Stdout.WriteString(strutil.Upper(greeting.Hello()) + " " + localdep.Name + " " + version + "\n")
}
EOF
printf 'module example.com/localdep\n\ngo 1.19\n' > "$work/localdep/go.mod"
printf 'package localdep\n\nconst Name = "local"\n' > "$work/localdep/localdep.go"

# The local module proxy: <module>/@v/{list,<v>.info,<v>.mod,<v>.zip}.
python3 - <<'EOF'
import json, os, zipfile
mods = {
    ("example.com/greeting-fork", "v1.2.4"): (
        "module example.com/greeting\n\ngo 1.19\n",
        {"greeting.go": 'package greeting\n\nfunc Hello() string { return "hello from the fork" }\n'}),
    ("example.com/strutil", "v0.3.0"): (
        "module example.com/strutil\n\ngo 1.19\n",
        {"strutil.go": "package strutil\n\nfunc Upper(s string) string {\n\tb := []byte(s)\n"
                       "\tfor i, c := range b {\n\t\tif c >= 'a' && c <= 'z' {\n\t\t\tb[i] = c - 32\n"
                       "\t\t}\n\t}\n\treturn string(b)\n}\n"}),
}
for (path, version), (gomod, files) in mods.items():
    d = os.path.join("/tmp/berth-gofixture/proxy", path, "@v")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "list"), "w").write(version + "\n")
    open(os.path.join(d, version + ".info"), "w").write(json.dumps({"Version": version, "Time": "2024-01-01T00:00:00Z"}))
    open(os.path.join(d, version + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w") as z:
        z.writestr(f"{path}@{version}/go.mod", gomod)
        for name, content in files.items():
            z.writestr(f"{path}@{version}/{name}", content)
EOF

cd "$work"
go mod tidy
go build -ldflags="-s -w -X main.version=1.4.0" -o "$out_dir/hello-go1.19" .
go version -m "$out_dir/hello-go1.19"
