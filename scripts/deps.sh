#!/usr/bin/env bash
# Installs everything Berth needs to build, test and benchmark on Debian 12, with apt-get.
# Fast when all is already installed: dpkg-query is asked first, apt-get only for what is missing.
# Runs as root (or through sudo when available), with no prompts and no stdin.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libboost1.81-all-dev libssl-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev
  libspdlog-dev libcli11-dev libyaml-cpp-dev libarchive-dev libargon2-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real clients and the reference registry
  skopeo podman buildah docker-registry uidmap wrk hey debootstrap
  # the portal's browser tests (tests/browser)
  chromium
  # script tools
  python3 curl jq time
)

# Node.js builds the portal: Debian's nodejs and npm unless a node of 18 or later is there.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null ||
  ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$pkg")
done

install_packages() {
  echo "deps: installing ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install packages" >&2; exit 1; }
    SUDO=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  APT_OPTS=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${SUDO[@]}" apt-get update -q </dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" \
    "${missing[@]}" </dev/null

  # Debian's docker-registry package enables a system service on :5000, which is Berth's default
  # port. Berth's tests and benchmark start their own docker-registry on a free port; stop the
  # packaged one if it got started so that `scripts/serve.sh` finds its port free.
  if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
    if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
      "${SUDO[@]}" systemctl disable --now docker-registry || true
    elif command -v service >/dev/null; then
      "${SUDO[@]}" service docker-registry stop >/dev/null 2>&1 || true
    fi
  fi
}

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages installed"
else
  install_packages
fi

# The portal's node packages, exactly as package-lock.json pins them (npm ci), again only when
# the lock file changed since the last install.
portal=$(cd "$(dirname "${BASH_SOURCE[0]}")/../portal" && pwd)
stamp="$portal/node_modules/.berth-lock-sha256"
want=$(sha256sum "$portal/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  echo "deps: npm ci (portal/)"
  (cd "$portal" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  echo "$want" >"$stamp"
else
  echo "deps: portal node packages installed"
fi
