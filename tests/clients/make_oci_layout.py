#!/usr/bin/env python3
"""Writes an OCI image layout (image-spec v1.1 "oci-layout") for Berth's real-client tests and benchmark.

The layout holds, by tag (org.opencontainers.image.ref.name in index.json):
  multi            one linux image with --layers gzip'd tar layers of random files, a config and a manifest
  index            an image index with a linux/amd64 and a linux/arm64 image (they share one base layer)
  tiny-000 ...     with --tiny N: N distinct single-layer images of a few hundred bytes each
  rootfs           with --rootfs-layer FILE...: a linux/amd64 image of those layers (gzip'd tars)
  rootfs-index     and an index of it with an arm64 image of the same layer

The output is a pure function of the arguments: the same --seed gives the same bytes, the same digests.
Only the Python standard library is used.

  make_oci_layout.py DIR [--seed N] [--layers N] [--layer-bytes N | --image-mib N] [--no-index] [--tiny N]
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "2024-01-01T00:00:00Z"
EPOCH = 1704067200  # CREATED as a Unix time, used as every file's mtime


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    """An OCI image layout directory being written: blobs are content-addressed, refs collect in index.json."""

    def __init__(self, root):
        self.root = root
        self.refs = []
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def put_blob(self, data, media_type, **extra):
        """Stores data once under its sha256 digest and returns its OCI descriptor."""
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.root, "blobs", "sha256", digest)
        if not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        desc = {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}
        desc.update(extra)
        return desc

    def tag(self, desc, name):
        ref = dict(desc)
        ref["annotations"] = {REF_NAME: name}
        self.refs.append(ref)

    def finish(self):
        with open(os.path.join(self.root, "oci-layout"), "wb") as f:
            f.write(canonical_json({"imageLayoutVersion": "1.0.0"}))
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": self.refs}
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(canonical_json(index))


def random_bytes(rng, n):
    return rng.randbytes(n)


def make_tar(files):
    """files: list of (path, bytes). Returns an uncompressed, reproducible tar with parent directories."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        seen_dirs = set()
        for path, data in files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d in seen_dirs:
                    continue
                seen_dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                info.mtime = EPOCH
                tar.addfile(info)
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = EPOCH
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def random_files(rng, prefix, total_bytes, max_files=8):
    """Random-content files adding up to total_bytes, plus a small text file naming the layer."""
    files = [(f"{prefix}/README.txt", f"layer {prefix}\n".encode())]
    count = max(1, min(max_files, total_bytes // 4096 or 1))
    remaining = total_bytes
    for i in range(count):
        size = remaining if i == count - 1 else rng.randint(remaining // (2 * (count - i)), remaining // (count - i))
        remaining -= size
        files.append((f"{prefix}/data/file-{i:02d}.bin", random_bytes(rng, size)))
    return files


def put_layer(layout, files, level):
    """Stores files as a gzip'd tar layer; returns (descriptor, diff_id)."""
    tar = make_tar(files)
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    compressed = gzip.compress(tar, compresslevel=level, mtime=0)
    return layout.put_blob(compressed, MT_LAYER_GZIP), diff_id


def put_image(layout, layers, arch, name, variant=None):
    """Stores the config and manifest of a linux image made of layers [(descriptor, diff_id)]."""
    config = {
        "created": CREATED,
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"], "Labels": {"org.berth.test": name}},
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
        "history": [{"created": CREATED, "created_by": f"make_oci_layout.py {name} layer {i}"}
                    for i in range(len(layers))],
    }
    if variant:
        config["variant"] = variant
    config_desc = layout.put_blob(canonical_json(config), MT_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": config_desc,
        "layers": [desc for desc, _ in layers],
        "annotations": {"org.opencontainers.image.title": name},
    }
    platform = {"architecture": arch, "os": "linux"}
    if variant:
        platform["variant"] = variant
    return layout.put_blob(canonical_json(manifest), MT_MANIFEST, platform=platform)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="output directory (created; existing blobs are kept)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layers", type=int, default=3, help="layers of the 'multi' image (default 3)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--layer-bytes", type=int, default=96 * 1024,
                      help="random bytes in each layer of 'multi' (default 96 KiB)")
    size.add_argument("--image-mib", type=float, help="total size of 'multi' in MiB, split over its layers")
    p.add_argument("--no-multi", action="store_true", help="leave out the 'multi' image")
    p.add_argument("--no-index", action="store_true", help="leave out the multi-arch 'index'")
    p.add_argument("--tiny", type=int, default=0, help="add N tiny images tagged tiny-000, tiny-001, ...")
    p.add_argument("--rootfs-layer", action="append", default=[],
                   help="a gzip'd tar of a root filesystem: adds 'rootfs' and 'rootfs-index' (repeat: layers "
                        "bottom to top)")
    p.add_argument("--gzip-level", type=int, default=None,
                   help="gzip level (default 6, or 1 for layers over 16 MiB: random data does not compress)")
    args = p.parse_args(argv)

    layer_bytes = args.layer_bytes
    if args.image_mib is not None:
        layer_bytes = int(args.image_mib * 1024 * 1024) // max(1, args.layers)
    level = args.gzip_level or (1 if layer_bytes > 16 * 1024 * 1024 else 6)

    rng = random.Random(args.seed)
    layout = Layout(args.dir)

    if not args.no_multi:
        layers = [put_layer(layout, random_files(rng, f"multi/layer{i}", layer_bytes), level)
                  for i in range(args.layers)]
        layout.tag(put_image(layout, layers, "amd64", "multi"), "multi")

    if not args.no_index:
        base = put_layer(layout, random_files(rng, "base", 32 * 1024), 6)
        images = []
        for arch, variant in (("amd64", None), ("arm64", "v8")):
            own = put_layer(layout, random_files(rng, f"arch/{arch}", 16 * 1024), 6)
            images.append(put_image(layout, [base, own], arch, f"index-{arch}", variant))
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": images}
        layout.tag(layout.put_blob(canonical_json(index), MT_INDEX), "index")

    for n in range(args.tiny):
        name = f"tiny-{n:03d}"
        layer = put_layer(layout, [(f"{name}/id.txt", f"{name} seed {args.seed} {rng.random()}\n".encode())], 6)
        layout.tag(put_image(layout, [layer], "amd64", name), name)

    if args.rootfs_layer:
        layers = []
        for path in args.rootfs_layer:
            with open(path, "rb") as f:
                compressed = f.read()
            diff_id = "sha256:" + hashlib.sha256(gzip.decompress(compressed)).hexdigest()
            layers.append((layout.put_blob(compressed, MT_LAYER_GZIP), diff_id))
        amd64 = put_image(layout, layers, "amd64", "rootfs")
        layout.tag(amd64, "rootfs")
        arm64 = put_image(layout, layers, "arm64", "rootfs-arm64", "v8")
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [amd64, arm64]}
        layout.tag(layout.put_blob(canonical_json(index), MT_INDEX), "rootfs-index")

    layout.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
