#!/usr/bin/env bash
# Regenerates Packages (Berkeley DB) in this directory from rpmdb.sqlite (see README.md): the
# same header blobs, keyed by their instance numbers as rpm's BDB backend keys them (native
# little-endian uint32), plus the record under key 0 where rpm keeps the highest instance
# number, loaded into a hash database by Berkeley DB's own db_load. Needs sqlite3 and
# db5.3-util; checks the result with rpm's read-only BDB backend. Pages of 512 bytes (the
# smallest BDB allows) so that every header spans a chain of overflow pages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END\n'
  max=$(sqlite3 "$here/rpmdb.sqlite" 'SELECT max(hnum) FROM Packages')
  printf ' 00000000\n %02x%02x%02x%02x\n' $((max & 255)) $(((max >> 8) & 255)) $(((max >> 16) & 255)) \
    $(((max >> 24) & 255))
  sqlite3 -separator ' ' "$here/rpmdb.sqlite" 'SELECT hnum, lower(hex(blob)) FROM Packages ORDER BY hnum' |
    while read -r hnum blob; do
      printf ' %02x%02x%02x%02x\n %s\n' $((hnum & 255)) $(((hnum >> 8) & 255)) $(((hnum >> 16) & 255)) \
        $(((hnum >> 24) & 255)) "$blob"
    done
  printf 'DATA=END\n'
} >"$work/dump.txt"
mkdir -p "$work/db"
db5.3_load -f "$work/dump.txt" "$work/db/Packages"
rpm --dbpath "$work/db" --define '_db_backend bdb_ro' -qa \
  --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n' 2>/dev/null | sort
cp "$work/db/Packages" "$here/Packages"
