// IEEE 754 half precision, for graphs that keep their K/V cache and logits in float16 (the
// Hub's fp16 and q4f16 exports). Node 20 has no Float16Array: the runtime hands such tensors
// over as Uint16Array bit patterns. The cache itself stays float32 (eviction and re-rotation
// work on it); only the rows crossing the runtime boundary are converted.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
let table: Float32Array | undefined;

/** float32 → float16 bits, rounding to nearest even (overflow gives ±Infinity). */
export function toHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const midway = 1 << (shift - 1);
    if (rest > midway || (rest === midway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly rounds up into the next exponent (or Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** float16 bits → float32, through a 65536-entry table built on first use. */
export function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    table[h] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return table;
}

/** `count` halves of `src` from `from` as float32 into `dst` at `to`. */
export function halvesToFloats(src: Uint16Array, from: number, dst: Float32Array, to: number, count: number): void {
  const t = halfTable();
  for (let i = 0; i < count; i++) dst[to + i] = t[src[from + i]];
}

/** `count` floats of `src` from `from` as float16 into `dst` at `to`. */
export function floatsToHalves(src: Float32Array, from: number, dst: Uint16Array, to: number, count: number): void {
  for (let i = 0; i < count; i++) dst[to + i] = toHalf(src[from + i]);
}
