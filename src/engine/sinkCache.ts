// The KV cache of one stream: per layer, keys and values in JS-owned Float32Arrays laid out
// `[capacity, kvHeads, headDim]`, and the token in each slot. Layout: [sinks | pinned | window | free].
// A slot is the token's position id, so positions never exceed the capacity. Eviction moves the
// kept window down with copyWithin and rotates the moved keys back by the number of evicted
// positions (rope.ts).
import type { PastKv } from './decoder';
import type { ModelArch } from './modelDir';
import { rotateKeys } from './rope';

export class SinkCache implements PastKv {
  keys: Float32Array[] = [];
  values: Float32Array[] = [];
  tokens: Int32Array;
  length = 0;
  /** Bumped by every change but an append (PastKv.edits): lets the decoder keep a mirror. */
  edits = 0;
  private readonly rowFloats: number;

  constructor(
    private readonly arch: ModelArch,
    public capacity: number,
  ) {
    this.rowFloats = arch.kvHeads * arch.headDim;
    for (let l = 0; l < arch.layers; l++) {
      this.keys.push(new Float32Array(capacity * this.rowFloats));
      this.values.push(new Float32Array(capacity * this.rowFloats));
    }
    this.tokens = new Int32Array(capacity);
  }

  get free(): number {
    return this.capacity - this.length;
  }

  /** Stores the K/V of `ids` (as returned by the decoder, `[n, kvHeads, headDim]`) in the next slots. */
  append(ids: ArrayLike<number>, keys: Float32Array[], values: Float32Array[]): void {
    const n = ids.length;
    if (n > this.free) throw new Error(`cache overflow: ${n} tokens into ${this.free} free slots`);
    const at = this.length * this.rowFloats;
    for (let l = 0; l < this.arch.layers; l++) {
      this.keys[l].set(keys[l].subarray(0, n * this.rowFloats), at);
      this.values[l].set(values[l].subarray(0, n * this.rowFloats), at);
    }
    for (let i = 0; i < n; i++) this.tokens[this.length + i] = ids[i];
    this.length += n;
  }

  /** Forgets every slot from `length` on (their content is stale; nothing to move). */
  truncate(length: number): void {
    const kept = Math.min(this.length, Math.max(0, length));
    if (kept !== this.length) this.edits++;
    this.length = kept;
  }

  /**
   * Evicts `count` slots starting at `start`: later slots move down by `count` and their keys
   * are rotated back by `count` positions (unless `rotate` is false: a reference that keeps
   * original positions). Returns the time it took in ms.
   */
  evict(start: number, count: number, rotate = true): number {
    const t0 = performance.now();
    const moved = this.length - start - count;
    if (count <= 0 || moved < 0) throw new Error(`bad eviction: ${count} slots at ${start} of ${this.length}`);
    const from = (start + count) * this.rowFloats;
    const to = start * this.rowFloats;
    const end = this.length * this.rowFloats;
    for (let l = 0; l < this.arch.layers; l++) {
      this.keys[l].copyWithin(to, from, end);
      this.values[l].copyWithin(to, from, end);
      if (rotate) rotateKeys(this.keys[l], start, moved, this.arch.kvHeads, this.arch.headDim, this.arch.rotaryByLayer[l], -count);
    }
    this.tokens.copyWithin(start, start + count, this.length);
    this.length -= count;
    this.edits++;
    return performance.now() - t0;
  }

  /** Dense mode: makes room for at least `needed` more slots, doubling the buffers. */
  grow(needed: number): void {
    if (this.free >= needed) return;
    let capacity = this.capacity;
    while (capacity - this.length < needed) capacity *= 2;
    const floats = capacity * this.rowFloats;
    const used = this.length * this.rowFloats;
    for (let l = 0; l < this.arch.layers; l++) {
      const k = new Float32Array(floats);
      k.set(this.keys[l].subarray(0, used));
      this.keys[l] = k;
      const v = new Float32Array(floats);
      v.set(this.values[l].subarray(0, used));
      this.values[l] = v;
    }
    const tokens = new Int32Array(capacity);
    tokens.set(this.tokens.subarray(0, this.length));
    this.tokens = tokens;
    this.capacity = capacity;
    this.edits++;
  }
}
