#!/usr/bin/env python3
"""Tiny-image pushes per second against a registry: THREADS threads, each pushing COUNT images
(a config blob, a layer blob and a manifest, monolithic POST uploads) over one keep-alive
connection. Usage: push_rate.py HOST:PORT REPO_PREFIX THREADS COUNT [USER PASSWORD]."""
import base64
import hashlib
import http.client
import json
import os
import sys
import threading
import time


def push(conn, headers, repo, i):
    blobs = []
    for kind in ("config", "layer"):
        data = os.urandom(64) + (b"%s-%d" % (kind.encode(), i))
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        conn.request("POST", "/v2/%s/blobs/uploads/?digest=%s" % (repo, digest), body=data,
                     headers=dict(headers, **{"Content-Type": "application/octet-stream"}))
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            raise RuntimeError("blob upload: %d" % r.status)
        blobs.append((digest, len(data)))
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": blobs[0][0], "size": blobs[0][1]},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": blobs[1][0], "size": blobs[1][1]}]}).encode()
    conn.request("PUT", "/v2/%s/manifests/t%d" % (repo, i), body=manifest,
                 headers=dict(headers, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        raise RuntimeError("manifest: %d" % r.status)


def main():
    host, prefix, threads, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    headers = {}
    if len(sys.argv) > 6:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (sys.argv[5], sys.argv[6])).encode()).decode()
    errors = []

    def worker(t):
        try:
            conn = http.client.HTTPConnection(host, timeout=60)
            for i in range(count):
                push(conn, headers, "%s/t%d" % (prefix, t), i)
        except Exception as e:  # reported below
            errors.append(str(e))

    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    took = time.monotonic() - start
    if errors:
        print("errors: %s" % errors[:3], file=sys.stderr)
        sys.exit(1)
    print("%.1f" % (threads * count / took))


if __name__ == "__main__":
    main()
