#!/usr/bin/env python3
"""Mixed push/pull/delete load on a running Berth for a while, sampling what the server holds.

Run by bench/soak.sh (which builds and starts Berth); not a test, CI never runs it.

  soak_load.py --url http://127.0.0.1:PORT --password PW --pid PID --data DIR [--minutes N]
               [--clients N] [--interval S] [--skopeo-layout DIR]

Each client process owns a repository (soak/c<N>) and a bounded pool of images (SLOTS image
slots: a config and a layer of its own, plus one of SHARED layers every client pushes too). It
loops at full speed: an image not in the registry is pushed (HEAD each blob, upload it
monolithically or in chunks even when it exists half the time, PUT the manifest by tag); an
image in the registry is pulled (manifest by tag, every blob, digests checked) or deleted (by
digest, then its tag must be gone; sometimes its own layer is unlinked too) and pushed again
later. The content is the same again and again, so the blob store stays bounded: deleted
manifests' blobs are only reclaimed by an offline `berth gc` today, and re-pushing the same
bounded set keeps the data directory flat anyway. With --skopeo-layout one more process
copies that OCI layout in and out with skopeo and deletes it (real-client traffic).

Every answer is checked against what the protocol promises for that step; anything else is an
error, and any 5xx fails the run. Every --interval seconds a sample is printed: the server's
RSS (VmRSS) and open fds (/proc/PID/fd), the data directory's size (du: blob store and uploads,
meta.db with its WAL), requests done and errors. At the end a verdict compares the last third
of the samples with the first third, and relates meta.db's growth to the audit records added
(X-Total-Count of /api/v2.0/audit-logs, asked at the first sample and at the end only: that
count reads the whole audit table, whose pages would then fill SQLite's page caches and show
up as RSS growth the load itself does not cause). Exit status: 0 when there were no errors and everything stayed flat.
"""

import argparse
import base64
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

SLOTS = 6
SHARED = 4
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MAX_ERROR_MESSAGES = 5  # per client

# Counters per client, in one shared array: requests, errors, 5xx.
REQUESTS, ERRORS, SERVER_ERRORS, FIELDS = 0, 1, 2, 3

# "Flat": the last third against the first third of the samples.
RSS_GROWTH_LIMIT = 0.10  # mean VmRSS may grow by 10 %
FD_SLACK = 8  # the largest fd count may grow by this many
STORE_GROWTH_LIMIT = 0.10  # mean size of blobs/ + uploads/ may grow by 10 %
META_BYTES_PER_AUDIT_RECORD = 1024  # meta.db may grow by this much per audit record added


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Blob:
    def __init__(self, data):
        self.data = data
        self.digest = sha256(data)


class Image:
    """A config and layers, and the manifest bytes that reference them."""

    def __init__(self, config, layers):
        self.blobs = [config] + layers
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": config.digest, "size": len(config.data)},
            "layers": [{"mediaType": MT_LAYER, "digest": b.digest, "size": len(b.data)} for b in layers],
        }
        self.manifest = json.dumps(manifest, separators=(",", ":")).encode()
        self.digest = sha256(self.manifest)


def shared_layers(seed):
    rng = random.Random(seed)
    return [Blob(rng.randbytes(64 * 1024 + i * 160 * 1024)) for i in range(SHARED)]


def client_images(seed, index, shared):
    rng = random.Random(seed * 1000 + index + 1)
    images = []
    for slot in range(SLOTS):
        config = Blob(json.dumps({"architecture": "amd64", "os": "linux", "author": f"soak-{index}-{slot}",
                                  "rootfs": {"type": "layers", "diff_ids": []}}).encode())
        own = Blob(rng.randbytes(rng.choice([4, 16, 64, 256, 512]) * 1024 + rng.randrange(4096)))
        images.append(Image(config, [own, shared[slot % SHARED]]))
    return images


class Failed(Exception):
    """An answer the protocol does not allow at this step."""


class Client:
    """One client process: a keep-alive connection, its repository and its pool of images."""

    def __init__(self, index, url, authorization, counters, messages, seed):
        self.index = index
        self.base = urllib.parse.urlsplit(url)
        self.authorization = authorization
        self.counters = counters
        self.messages = messages
        self.reported = 0
        self.rng = random.Random(seed * 7919 + index)
        self.repo = f"soak/c{index}"
        self.images = client_images(seed, index, shared_layers(seed))
        self.pushed = [False] * SLOTS
        self.connection = None

    def count(self, field):
        self.counters[self.index * FIELDS + field] += 1

    def error(self, text):
        self.count(ERRORS)
        if self.reported < MAX_ERROR_MESSAGES:
            self.reported += 1
            self.messages.put(f"client {self.index}: {text}")

    def request(self, method, path, body=None, headers=None, expect=(200,)):
        """Sends a request; returns (status, headers, body). Raises Failed unless status is in expect."""
        all_headers = {"Authorization": self.authorization}
        all_headers.update(headers or {})
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        self.count(REQUESTS)
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=60)
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.connection = None
            raise Failed(f"{method} {path}: {type(e).__name__}: {e}")
        if response.status >= 500:
            self.count(SERVER_ERRORS)
        if response.status not in expect:
            raise Failed(f"{method} {path}: HTTP {response.status} (expected {expect}): {data[:300]!r}")
        return response.status, response, data

    @staticmethod
    def path_of(location):
        """The path and query of a Location header, which may be an absolute URL."""
        if not location:
            raise Failed("an answer without Location")
        parts = urllib.parse.urlsplit(location)
        return parts.path + ("?" + parts.query if parts.query else "")

    def upload(self, blob):
        path = f"/v2/{self.repo}/blobs/uploads/"
        _, started, _ = self.request("POST", path, b"", expect=(202,))
        location = self.path_of(started.getheader("Location"))
        if self.rng.random() < 0.5:  # chunked: two to four PATCHes with Content-Range
            parts = self.rng.randint(2, 4)
            step = max(1, -(-len(blob.data) // parts))
            for offset in range(0, len(blob.data), step):
                chunk = blob.data[offset:offset + step]
                _, patched, _ = self.request(
                    "PATCH", location, chunk, expect=(202,),
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
                location = self.path_of(patched.getheader("Location"))
            body = b""
        else:
            body = blob.data
        separator = "&" if "?" in location else "?"
        self.request("PUT", f"{location}{separator}digest={blob.digest}", body, expect=(201,),
                     headers={"Content-Type": "application/octet-stream"})

    def push(self, slot):
        image = self.images[slot]
        for blob in image.blobs:
            status, _, _ = self.request("HEAD", f"/v2/{self.repo}/blobs/{blob.digest}", expect=(200, 404))
            if status == 404 or self.rng.random() < 0.5:
                self.upload(blob)
        _, answer, _ = self.request("PUT", f"/v2/{self.repo}/manifests/s{slot}", image.manifest, expect=(201,),
                                    headers={"Content-Type": MT_MANIFEST})
        if answer.getheader("Docker-Content-Digest") != image.digest:
            raise Failed(f"manifest PUT s{slot}: Docker-Content-Digest {answer.getheader('Docker-Content-Digest')}")
        self.pushed[slot] = True

    def pull(self, slot):
        image = self.images[slot]
        _, _, body = self.request("GET", f"/v2/{self.repo}/manifests/s{slot}", headers={"Accept": MT_MANIFEST})
        if body != image.manifest:
            raise Failed(f"manifest s{slot}: other bytes than pushed")
        for blob in image.blobs:
            _, _, data = self.request("GET", f"/v2/{self.repo}/blobs/{blob.digest}")
            if sha256(data) != blob.digest:
                raise Failed(f"blob {blob.digest}: its bytes hash to {sha256(data)}")

    def delete(self, slot):
        image = self.images[slot]
        self.request("DELETE", f"/v2/{self.repo}/manifests/{image.digest}", expect=(202,))
        self.pushed[slot] = False
        self.request("GET", f"/v2/{self.repo}/manifests/s{slot}", headers={"Accept": MT_MANIFEST}, expect=(404,))
        if self.rng.random() < 0.3:  # unlink its own layer too: the next push must upload it
            own = image.blobs[1].digest
            self.request("DELETE", f"/v2/{self.repo}/blobs/{own}", expect=(202,))
            self.request("HEAD", f"/v2/{self.repo}/blobs/{own}", expect=(404,))

    def run(self, stop_at):
        while time.monotonic() < stop_at:
            slot = self.rng.randrange(SLOTS)
            try:
                if not self.pushed[slot]:
                    self.push(slot)
                elif self.rng.random() < 0.7:
                    self.pull(slot)
                else:
                    self.delete(slot)
            except Failed as e:
                self.error(str(e))
                self.pushed[slot] = self.find_out(slot)

    def find_out(self, slot):
        """After a failed step: is the slot's image in the registry? (so the next step is right)"""
        try:
            status, _, _ = self.request("HEAD", f"/v2/{self.repo}/manifests/{self.images[slot].digest}",
                                        headers={"Accept": MT_MANIFEST}, expect=(200, 404))
            return status == 200
        except Failed as e:
            self.error(str(e))
            return False


def client_main(index, url, authorization, counters, messages, seed, stop_at):
    Client(index, url, authorization, counters, messages, seed).run(stop_at)


def skopeo_main(index, url, password, layout, counters, messages, stop_at):
    """Real-client traffic: skopeo copies the layout in, copies it back out, deletes it."""
    address = urllib.parse.urlsplit(url).netloc
    reference = f"docker://{address}/soak/skopeo:latest"
    creds = f"admin:{password}"
    out = tempfile.mkdtemp(prefix="berth-soak-skopeo-")
    steps = [
        ["copy", "--dest-tls-verify=false", "--dest-creds", creds, f"oci:{layout}:multi", reference],
        ["copy", "--src-tls-verify=false", "--src-creds", creds, reference, f"dir:{out}/image"],
        ["delete", "--tls-verify=false", "--creds", creds, reference],
    ]
    reported = 0
    try:
        while time.monotonic() < stop_at:
            for step in steps:
                shutil.rmtree(f"{out}/image", ignore_errors=True)
                counters[index * FIELDS + REQUESTS] += 1
                done = subprocess.run(["skopeo", *step], capture_output=True, text=True)
                if done.returncode != 0:
                    counters[index * FIELDS + ERRORS] += 1
                    if reported < MAX_ERROR_MESSAGES:
                        reported += 1
                        messages.put(f"skopeo {step[0]}: exit {done.returncode}: {done.stderr.strip()[:300]}")
                    break
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ---- samples ---------------------------------------------------------------------------------

def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def disk_usage(path):
    """Bytes used on disk (st_blocks, as du counts) by everything under path."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass  # an upload that finished meanwhile
    return total


def meta_usage(data):
    total = 0
    for name in ("meta.db", "meta.db-wal", "meta.db-shm"):
        try:
            total += os.lstat(os.path.join(data, name)).st_blocks * 512
        except FileNotFoundError:
            pass
    return total


def audit_records(url, authorization):
    base = urllib.parse.urlsplit(url)
    try:
        connection = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        connection.request("GET", "/api/v2.0/audit-logs?page_size=1", headers={"Authorization": authorization})
        response = connection.getresponse()
        response.read()
        connection.close()
        return int(response.getheader("X-Total-Count", "-1"))
    except (OSError, http.client.HTTPException, ValueError):
        return -1


def mib(n):
    return n / (1024 * 1024)


def mean(values):
    return sum(values) / len(values) if values else 0.0


def verdict(samples, audit, meta_end, errors, server_errors):
    """Prints the comparison of the last third with the first third; returns whether all is well."""
    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    ok = True

    def line(name, good, text, words=("flat", "GROWS")):
        nonlocal ok
        ok = ok and good
        print(f"  {name:<8} {words[0] if good else words[1]}: {text}")

    print(f"verdict (last {len(last)} samples against the first {len(first)}):")
    rss_first, rss_last = mean([s["rss"] for s in first]), mean([s["rss"] for s in last])
    growth = rss_last / rss_first - 1 if rss_first else 0
    line("RSS", growth <= RSS_GROWTH_LIMIT,
         f"mean {mib(rss_first * 1024):.1f} -> {mib(rss_last * 1024):.1f} MiB ({growth:+.1%}; limit +{RSS_GROWTH_LIMIT:.0%})")
    fd_first, fd_last = max(s["fds"] for s in first), max(s["fds"] for s in last)
    line("fds", fd_last <= fd_first + FD_SLACK, f"max {fd_first} -> {fd_last} (limit +{FD_SLACK})")
    store_first, store_last = mean([s["store"] for s in first]), mean([s["store"] for s in last])
    growth = store_last / store_first - 1 if store_first else 0
    line("blobs", growth <= STORE_GROWTH_LIMIT,
         f"blobs/ + uploads/ mean {mib(store_first):.1f} -> {mib(store_last):.1f} MiB ({growth:+.1%}; "
         f"limit +{STORE_GROWTH_LIMIT:.0%})")
    meta_growth = meta_end - samples[0]["meta"]
    audit_added = audit[1] - audit[0] if min(audit) >= 0 else 0
    per_record = meta_growth / audit_added if audit_added > 0 else float("inf") if meta_growth > 0 else 0
    line("meta.db", per_record <= META_BYTES_PER_AUDIT_RECORD,
         f"{meta_growth / 1024:+.0f} KiB from the first sample to the end, while {audit_added} audit "
         "records were added "
         f"({per_record:.0f} bytes each; limit {META_BYTES_PER_AUDIT_RECORD}): the audit log, kept until "
         "audit.max_age (purged hourly), grows it; the rest of the metadata is a bounded set")
    line("errors", errors == 0 and server_errors == 0, f"{errors} unexpected answers, {server_errors} of them 5xx",
         ("none", "FOUND"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the berth serve process")
    parser.add_argument("--data", required=True, help="its data directory")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skopeo-layout", help="an OCI layout with a 'multi' image for a skopeo client")
    args = parser.parse_args()

    authorization = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    processes = args.clients + (1 if args.skopeo_layout else 0)
    counters = mp.Array("q", processes * FIELDS, lock=False)
    messages = mp.Queue()
    started = time.monotonic()
    stop_at = started + args.minutes * 60
    workers = [mp.Process(target=client_main,
                          args=(i, args.url, authorization, counters, messages, args.seed, stop_at))
               for i in range(args.clients)]
    if args.skopeo_layout:
        workers.append(mp.Process(target=skopeo_main, args=(args.clients, args.url, args.password,
                                                             args.skopeo_layout, counters, messages, stop_at)))
    for w in workers:
        w.start()

    def totals():
        return [sum(counters[i * FIELDS + f] for i in range(processes)) for f in range(FIELDS)]

    print(f"soak: {args.clients} clients{' + skopeo' if args.skopeo_layout else ''} for {args.minutes:g} min, "
          f"a sample every {args.interval:g} s", flush=True)
    print("| time s | RSS MiB | fds | data MiB | blobs+uploads MiB | meta.db MiB | requests | req/s | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    samples = []
    previous_requests, previous_time = 0, started
    next_sample = started + args.interval
    while True:
        now = time.monotonic()
        if now >= stop_at:
            break
        time.sleep(max(0.0, min(next_sample, stop_at) - now))
        if time.monotonic() < next_sample:
            break  # the run ended before this sample
        next_sample += args.interval
        requests, errors, _ = totals()
        now = time.monotonic()
        sample = {
            "time": now - started,
            "rss": vm_rss_kib(args.pid),
            "fds": len(os.listdir(f"/proc/{args.pid}/fd")),
            "data": disk_usage(args.data),
            "store": disk_usage(os.path.join(args.data, "blobs")) + disk_usage(os.path.join(args.data, "uploads")),
            "meta": meta_usage(args.data),
            "requests": requests,
            "errors": errors,
        }
        rate = (requests - previous_requests) / (now - previous_time)
        previous_requests, previous_time = requests, now
        samples.append(sample)
        if len(samples) == 1:
            audit = [audit_records(args.url, authorization), -1]
        print(f"| {sample['time']:.0f} | {mib(sample['rss'] * 1024):.1f} | {sample['fds']} | {mib(sample['data']):.1f} "
              f"| {mib(sample['store']):.1f} | {mib(sample['meta']):.1f} | {requests} "
              f"| {rate:.0f} | {errors} |", flush=True)
    for w in workers:
        w.join()
    requests, errors, server_errors = totals()
    if samples:
        audit[1] = audit_records(args.url, authorization)
    elapsed = time.monotonic() - started
    skopeo_runs = f", {counters[args.clients * FIELDS + REQUESTS]} of them skopeo commands" if args.skopeo_layout else ""
    print(f"soak: {requests} requests in {elapsed:.0f} s ({requests / elapsed:.0f}/s){skopeo_runs}, {errors} errors, "
          f"{server_errors} 5xx")
    while not messages.empty():
        print("  error:", messages.get())
    if len(samples) < 3:
        print("soak: fewer than 3 samples; run longer for a verdict")
        return 1 if errors or server_errors else 0
    return 0 if verdict(samples, audit, meta_usage(args.data), errors, server_errors) else 1


if __name__ == "__main__":
    sys.exit(main())
