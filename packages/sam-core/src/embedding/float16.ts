// IEEE 754 binary16 conversion. Float32 -> half rounds to nearest, ties to even, in one step from the
// float32 bit pattern (a double-rounding path through float64 arithmetic would mis-round some ties).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts one number to the bit pattern of the nearest IEEE half (round to nearest, ties to even). */
export function floatToHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) {
    // Inf stays Inf; NaN keeps a quiet NaN with the top payload bits (never collapses to Inf).
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    // Subnormal half (or zero). The value is m * 2^(e-1-10) with m the 24-bit significand.
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e; // bits dropped to land on the subnormal grid
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h += 1;
    return sign | h; // a carry into bit 10 correctly yields the smallest normal
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h += 1; // carry may roll into exponent / Inf: correct
  return sign | h;
}

/** Converts a half bit pattern (0..65535) to its exact float value. */
export function halfBitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes a float array to half bit patterns. */
export function encodeFloat16(values: ArrayLike<number>, out = new Uint16Array(values.length)): Uint16Array {
  for (let i = 0; i < values.length; i++) out[i] = floatToHalfBits(values[i]!);
  return out;
}

let decodeTable: Float32Array | undefined;

/** Decodes half bit patterns to float32 (through a 64k lookup table built on first use). */
export function decodeFloat16(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) decodeTable[i] = halfBitsToFloat(i);
  }
  const table = decodeTable;
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
