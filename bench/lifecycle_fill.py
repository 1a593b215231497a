#!/usr/bin/env python3
"""Fills a Berth data directory's metadata for bench/lifecycle.sh, straight into meta.db (as many
pushes would leave it): ARTIFACTS manifests in REPOS repositories of one project, each referencing
a config and LAYERS layers drawn from a shared pool, plus unreferenced blobs (a fraction of all
blobs) whose files exist, as deleted artifacts leave them. Usage accounting is filled to match, so
`berth fsck` agrees. Run with the server stopped, after `berth admin project create`."""
import hashlib
import os
import random
import sqlite3
import sys


def digest(seed):
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def main():
    data, artifacts, repos, layers, unreferenced_share = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                                           int(sys.argv[4]), float(sys.argv[5]))
    rng = random.Random(7)
    db = sqlite3.connect(os.path.join(data, "meta.db"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    old = 1_600_000_000_000  # long before any grace period
    project = "bench"
    pool = [digest("layer-%d" % i) for i in range(artifacts * layers // 2)]
    sizes = {}
    used = {}
    cur = db.cursor()
    cur.execute("BEGIN")
    for r in range(repos):
        cur.execute("INSERT INTO repositories(name, created_at, updated_at) VALUES(?, ?, ?)",
                    ("%s/repo-%04d" % (project, r), old, old))
    repo_ids = [row[0] for row in cur.execute("SELECT id FROM repositories WHERE name LIKE 'bench/%' ORDER BY name")]
    for d in pool:
        sizes[d] = rng.randrange(1000, 50_000_000)
        cur.execute("INSERT INTO blobs(digest, size, created_at) VALUES(?, ?, ?)", (d, sizes[d], old))
    for a in range(artifacts):
        repo = repo_ids[a % repos]
        manifest = digest("manifest-%d" % a)
        config = digest("config-%d" % a)
        refs = [config] + rng.sample(pool, layers)
        for d, size in ((manifest, 900), (config, 1500)):
            sizes[d] = size
            cur.execute("INSERT INTO blobs(digest, size, created_at) VALUES(?, ?, ?)", (d, size, old))
        for d in [manifest] + refs:
            cur.execute("INSERT INTO repository_blobs(repository_id, digest, linked_at) VALUES(?, ?, ?) "
                        "ON CONFLICT DO NOTHING", (repo, d, old))
            used[d] = used.get(d, 0) + 1
        cur.execute("INSERT INTO manifests(repository_id, digest, media_type, artifact_type, size, subject, "
                    "annotations, created_at) VALUES(?, ?, 'application/vnd.oci.image.manifest.v1+json', '', 900, "
                    "NULL, '', ?)", (repo, manifest, old + a))
        for d in refs:
            cur.execute("INSERT INTO manifest_references(repository_id, manifest_digest, kind, child_digest) "
                        "VALUES(?, ?, 'blob', ?) ON CONFLICT DO NOTHING", (repo, manifest, d))
        cur.execute("INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?, ?, ?, ?)",
                    (repo, "v%d" % a, manifest, old + a))
    referenced = len(sizes)
    garbage = int(referenced * unreferenced_share / (1 - unreferenced_share))
    blob_root = os.path.join(data, "blobs", "sha256")
    for g in range(garbage):
        d = digest("garbage-%d" % g)
        cur.execute("INSERT INTO blobs(digest, size, created_at) VALUES(?, 0, ?)", (d, old))
        cur.execute("INSERT INTO repository_blobs(repository_id, digest, linked_at) VALUES(?, ?, ?)",
                    (repo_ids[g % repos], d, old))
        hexd = d[7:]
        os.makedirs(os.path.join(blob_root, hexd[:2]), exist_ok=True)
        open(os.path.join(blob_root, hexd[:2], hexd), "wb").close()
    for d, refs in used.items():
        if d in sizes and d not in ("",):
            cur.execute("INSERT INTO project_blobs(project, digest, refs) VALUES(?, ?, ?)", (project, d, refs))
    total = sum(sizes[d] for d in used)
    cur.execute("INSERT INTO project_usage(project, used_storage, updated_at) VALUES(?, ?, ?)", (project, total, old))
    db.commit()
    refs = db.execute("SELECT COUNT(*) FROM manifest_references").fetchone()[0]
    blobs = db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
    print("filled: %d artifacts in %d repositories, %d blob references, %d blobs, %d unreferenced (%.0f %%)"
          % (artifacts, repos, refs, blobs, garbage, 100.0 * garbage / blobs))


if __name__ == "__main__":
    main()
