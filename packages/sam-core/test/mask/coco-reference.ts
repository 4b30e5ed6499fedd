// Test-only: an independent, naive COCO counts-string reference.
/**
 * A deliberately naive reference, written from the format definition with BigInt so that it shares no
 * arithmetic tricks with the implementation: two's-complement groups of 5 bits, LSB first, stop when the
 * rest is pure sign.
 */
export function refEncodeValue(value: number): string {
  let v = BigInt(value);
  let out = "";
  for (;;) {
    const group = Number(BigInt.asUintN(5, v));
    v >>= 5n;
    const signBit = (group & 16) !== 0;
    const done = (v === 0n && !signBit) || (v === -1n && signBit);
    out += String.fromCharCode(48 + group + (done ? 0 : 32));
    if (done) return out;
  }
}

export function refEncode(counts: number[]): string {
  return counts.map((c, i) => refEncodeValue(i > 2 ? c - counts[i - 2]! : c)).join("");
}

export function refDecode(s: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < s.length) {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const g = BigInt(s.charCodeAt(i++) - 48);
      v |= (g & 31n) << shift;
      shift += 5n;
      if (!(g & 32n)) {
        if (g & 16n) v -= 1n << shift;
        break;
      }
    }
    const m = out.length;
    out.push(Number(v) + (m > 2 ? out[m - 2]! : 0));
  }
  return out;
}
