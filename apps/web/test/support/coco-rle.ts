// COCO compressed RLE written from the format's description (column-major runs starting with zeros;
// each count delta-coded against the count two places back from the third on, then packed 5 bits per
// character with a continuation bit, offset 48). Independent of sam-core, so tests can check the app's
// use of sam-core against it.

export function encodeCounts(counts: readonly number[]): string {
  let out = "";
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

export function decodeCounts(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      const c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** RLE of a filled rectangle [x, y, w, h] inside an image of height h0 and width w0. */
export function rectangleRle(h0: number, w0: number, [x, y, w, h]: [number, number, number, number]): string {
  const runs: number[] = [];
  let current = 0;
  let length = 0;
  for (let col = 0; col < w0; col++) {
    for (let row = 0; row < h0; row++) {
      const bit = col >= x && col < x + w && row >= y && row < y + h ? 1 : 0;
      if (bit === current) length++;
      else {
        runs.push(length);
        current = bit;
        length = 1;
      }
    }
  }
  runs.push(length);
  return encodeCounts(runs);
}

/** Area and [x, y, w, h] box of a compressed RLE (the test stand-in for sam-core's rleArea/rleBbox). */
export function describeCocoRle(counts: string, [h, w]: [number, number]): { area: number; bbox: [number, number, number, number] } {
  const runs = decodeCounts(counts);
  const total = runs.reduce((a, b) => a + b, 0);
  if (total !== h * w) throw new Error(`RLE counts sum to ${total}, expected ${h * w}`);
  let area = 0;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  let pos = 0;
  runs.forEach((len, i) => {
    if (i % 2 === 1 && len > 0) {
      area += len;
      for (let p = pos; p < pos + len; p++) {
        const x = Math.floor(p / h), y = p % h;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
    pos += len;
  });
  return { area, bbox: area === 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}
