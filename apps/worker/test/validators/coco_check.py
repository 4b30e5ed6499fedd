#!/usr/bin/env python3
"""Independent check of an exported dataset folder (SA-1B JSON per image + COCO instances JSON).

Written from the COCO / SA-1B format descriptions, sharing no code with the exporter: decodes every
compressed RLE, checks sizes, areas and boxes against the decoded pixels, rasterises polygons (even-odd,
union of parts, pixel centres), and prints a JSON summary with a digest of each decoded mask so the
caller can compare with the masks it put in. Exit status 1 with a message on the first violation.
Usage: coco_check.py <dataset dir>
"""
import hashlib
import json
import os
import sys

import numpy as np


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def decode_counts(s):
    counts = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            if p >= len(s):
                fail("RLE string ends inside a value")
            c = ord(s[p]) - 48
            if c < 0 or c > 63:
                fail("bad RLE character %r" % s[p])
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_to_mask(seg, h, w):
    if seg.get("size") != [h, w]:
        fail("segmentation size %r is not the image's [h, w] %r" % (seg.get("size"), [h, w]))
    if not isinstance(seg.get("counts"), str):
        fail("counts must be a compressed RLE string")
    counts = decode_counts(seg["counts"])
    if any(c < 0 for c in counts):
        fail("negative run length")
    if sum(counts) != h * w:
        fail("RLE runs sum to %d, not h*w = %d" % (sum(counts), h * w))
    flat = np.zeros(h * w, dtype=np.uint8)
    pos = 0
    for i, c in enumerate(counts):
        if i % 2 == 1:
            flat[pos:pos + c] = 1
        pos += c
    return flat.reshape((w, h)).T  # column-major runs


def polygons_to_mask(polys, h, w):
    ys, xs = np.mgrid[0:h, 0:w]
    px = xs + 0.5
    py = ys + 0.5
    out = np.zeros((h, w), dtype=bool)
    for poly in polys:
        if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
            fail("a polygon must be a flat list of at least 3 points")
        pts = np.array(poly, dtype=float).reshape(-1, 2)
        inside = np.zeros((h, w), dtype=bool)
        n = len(pts)
        for i in range(n):
            x1, y1 = pts[i]
            x2, y2 = pts[(i + 1) % n]
            if y1 == y2:
                continue
            crosses = ((y1 <= py) & (py < y2)) | ((y2 <= py) & (py < y1))
            xint = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            inside ^= crosses & (px < xint)
        out |= inside
    return out.astype(np.uint8)


def bbox_of(mask):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def digest(mask):
    return hashlib.sha256(np.ascontiguousarray(mask, dtype=np.uint8).tobytes()).hexdigest()


def main():
    root = sys.argv[1]
    summary = {"coco": None, "sa1b": {}}
    coco_path = os.path.join(root, "coco", "instances.json")
    if os.path.exists(coco_path):
        with open(coco_path) as f:
            coco = json.load(f)
        for key in ("images", "annotations", "categories"):
            if not isinstance(coco.get(key), list):
                fail("COCO file has no %s list" % key)
        images = {}
        for im in coco["images"]:
            if not isinstance(im.get("id"), int) or im["id"] in images:
                fail("image ids must be unique integers")
            for key in ("file_name", "width", "height"):
                if key not in im:
                    fail("image %r has no %s" % (im["id"], key))
            images[im["id"]] = im
        cats = set()
        for c in coco["categories"]:
            if not isinstance(c.get("id"), int) or c["id"] in cats or not c.get("name"):
                fail("categories need unique integer ids and names")
            cats.add(c["id"])
        ann_ids = set()
        anns = []
        for a in coco["annotations"]:
            if not isinstance(a.get("id"), int) or a["id"] in ann_ids:
                fail("annotation ids must be unique integers")
            ann_ids.add(a["id"])
            im = images.get(a.get("image_id"))
            if im is None:
                fail("annotation %d refers to a missing image" % a["id"])
            if a.get("category_id") not in cats:
                fail("annotation %d has an unknown category" % a["id"])
            if a.get("iscrowd") not in (0, 1):
                fail("iscrowd must be 0 or 1")
            seg = a.get("segmentation")
            h, w = im["height"], im["width"]
            if isinstance(seg, dict):
                mask = rle_to_mask(seg, h, w)
                kind = "rle"
            elif isinstance(seg, list):
                mask = polygons_to_mask(seg, h, w)
                kind = "polygon"
            else:
                fail("segmentation must be RLE or polygons")
            area = int(mask.sum())
            if kind == "rle" and a.get("area") != area:
                fail("annotation %d: area %r but the RLE covers %d pixels" % (a["id"], a.get("area"), area))
            if kind == "rle" and a.get("bbox") != bbox_of(mask):
                fail("annotation %d: bbox %r but the RLE spans %r" % (a["id"], a.get("bbox"), bbox_of(mask)))
            anns.append({"id": a["id"], "image": im["file_name"], "category_id": a["category_id"], "kind": kind,
                         "area": area, "digest": digest(mask), "mask_id": a.get("data_engine_mask_id")})
        summary["coco"] = {"images": len(images), "annotations": anns,
                           "categories": {c["id"]: c["name"] for c in coco["categories"]}}
    sa_dir = os.path.join(root, "sa1b")
    if os.path.isdir(sa_dir):
        for name in sorted(os.listdir(sa_dir)):
            with open(os.path.join(sa_dir, name)) as f:
                doc = json.load(f)
            im = doc.get("image") or fail("%s has no image" % name)
            h, w = im["height"], im["width"]
            out = []
            for a in doc.get("annotations", []):
                mask = rle_to_mask(a["segmentation"], h, w)
                if a.get("area") != int(mask.sum()) or a.get("bbox") != bbox_of(mask):
                    fail("%s: annotation %r area/bbox do not match its RLE" % (name, a.get("id")))
                if len(a.get("crop_box", [])) != 4 or not isinstance(a.get("point_coords"), list):
                    fail("%s: annotation %r lacks crop_box / point_coords" % (name, a.get("id")))
                for key in ("predicted_iou", "stability_score"):
                    if key not in a:
                        fail("%s: annotation %r lacks %s" % (name, a.get("id"), key))
                out.append(digest(mask))
            summary["sa1b"][im["file_name"]] = out
    print(json.dumps(summary))


main()
