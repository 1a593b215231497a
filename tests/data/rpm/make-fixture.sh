#!/usr/bin/env bash
# Regenerates rpmdb.sqlite in this directory (see README.md). Needs Debian's rpm (4.18) and gpg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/specs" "$work/top" "$work/db" "$work/gnupg"
chmod 700 "$work/gnupg"

# openssl: only its -libs subpackage is built, so binary name != source rpm name; with an epoch.
cat >"$work/specs/openssl.spec" <<'SPEC'
Name: openssl
Epoch: 1
Version: 3.0.1
Release: 41.el9_0
Summary: fixture
License: ASL 2.0
%description
fixture
%package libs
Summary: fixture libs
%description libs
fixture
%files libs
SPEC

cat >"$work/specs/bash.spec" <<'SPEC'
Name: bash
Version: 5.1.8
Release: 6.el9_1
Summary: fixture
License: GPLv3+
%description
fixture
%files
SPEC

cat >"$work/specs/tzdata.spec" <<'SPEC'
Name: tzdata
Version: 2023c
Release: 1.el9
Summary: fixture
License: Public Domain
BuildArch: noarch
%description
fixture
%files
SPEC

for spec in openssl bash tzdata; do
  rpmbuild --define "_topdir $work/top" --define '_build_id_links none' \
    --define '_buildhost fixture' --define 'use_source_date_epoch_as_buildtime 1' \
    --target x86_64 -bb "$work/specs/$spec.spec" >/dev/null 2>&1
done

rpm --dbpath "$work/db" --define '_db_backend sqlite' --initdb
rpm --dbpath "$work/db" -i --justdb --nodeps --ignorearch --ignoreos 2>/dev/null \
  "$work"/top/RPMS/*/*.rpm

# A gpg-pubkey pseudo-package, as `rpm --import` makes it.
gpg --homedir "$work/gnupg" --batch --passphrase '' --quick-gen-key 'Fixture <fixture@example.invalid>' ed25519 sign never 2>/dev/null
gpg --homedir "$work/gnupg" --armor --export >"$work/key.asc"
rpm --dbpath "$work/db" --import "$work/key.asc"

# Fold the WAL into the main file and shrink it.
sqlite3 "$work/db/rpmdb.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE); VACUUM;' >/dev/null
cp "$work/db/rpmdb.sqlite" "$here/rpmdb.sqlite"
rpm --dbpath "$work/db" -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n' | sort
