// Second, independent check of the COCO codec: a tiny Python/numpy transcription of the format (numpy
// does the Fortran-order flattening, Python ints do the arithmetic shifts). Skipped where python3 with
// numpy is missing; pycocotools itself is not available on these machines.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { encodeMask } from "../../src/mask/rle.ts";
import { blobMask, noiseMask } from "./helpers.ts";

const PY = String.raw`
import json, sys
import numpy as np

def encode(h, w, bits):
    m = np.frombuffer(bits.encode(), dtype=np.uint8).reshape(h, w) - 48
    flat = m.flatten(order="F")
    change = np.flatnonzero(np.diff(np.concatenate([[0], flat])))
    bounds = np.concatenate([[0], change, [h * w]])
    counts = [int(c) for c in np.diff(bounds)]
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        while True:
            g = x & 0x1F
            x >>= 5
            more = (x != -1) if (g & 0x10) else (x != 0)
            out.append(chr(g + (0x20 if more else 0) + 48))
            if not more:
                break
    return "".join(out)

print(json.dumps([encode(h, w, bits) for h, w, bits in json.load(sys.stdin)]))
`;

// The first Python with numpy: the one on the PATH, or Debian's (CI installs python3-numpy there).
const PYTHON = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import numpy"], { encoding: "utf8" }).status === 0);
if (!PYTHON) console.warn("skipping the RLE transcription check: no python3 with numpy");

describe.skipIf(!PYTHON)("COCO RLE vs a Python/numpy transcription", () => {
  it("gives identical strings on random masks", () => {
    const masks = [
      noiseMask(1, 1, 0.5, 1),
      noiseMask(3, 5, 0.5, 2),
      noiseMask(7, 1, 0.5, 3),
      noiseMask(40, 33, 0.3, 4),
      blobMask(120, 90, 5, 8),
      blobMask(300, 451, 6, 10),
    ];
    const input = masks.map((m) => [m.height, m.width, Array.from(m.data).join("")]);
    const res = spawnSync(PYTHON!, ["-c", PY], { input: JSON.stringify(input), encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    const strings = JSON.parse(res.stdout) as string[];
    expect(masks.map((m) => encodeMask(m).counts)).toEqual(strings);
  });
});
