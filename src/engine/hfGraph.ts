// The Hugging Face / Optimum "decoder with past" interface: past K/V `[1, kvHeads, past,
// headDim]` in, whole presents `[1, kvHeads, past + n, headDim]` out. The cache stays in the
// streaming layout (it is what eviction, re-rotation and the checks work on), and this adapter
// keeps a head-major mirror of it for the runtime in two buffers per tensor: each step reads its
// past from one and has the runtime write the present into the other (bound as pre-allocated
// outputs), so between evictions the present of one step is the past of the next with no copy
// through JavaScript. The mirror is rebuilt from the cache only when the cache changed other
// than by appending the last step's tokens (an eviction, a truncation, another stream's cache).
// A graph with float16 K/V (the Hub's fp16 and q4f16 exports) gets float16 mirrors: a step
// converts only its new rows to the float32 cache, and a rebuild converts the cache once.
import * as ort from 'onnxruntime-node';
import { floatsToHalves, halvesToFloats } from './float16';
import type { GraphInterface, KvType, NewKv, PastKv } from './graphInterface';
import type { ModelArch } from './modelDir';

interface Mirror {
  /** The cache this mirror reflects, and its `edits` count when it last matched. */
  cache: PastKv;
  edits: number | undefined;
  /** Tokens the buffer `current` holds, head-major with that many rows per head. */
  tokens: number;
  current: 0 | 1;
}

export class HfGraph implements GraphInterface {
  readonly kind = 'hf-with-past';
  private readonly rowFloats: number;
  /** [buffer 0 | 1][layer]: head-major K and V. */
  private keys: KvBuffer[][] = [[], []];
  private values: KvBuffer[][] = [[], []];
  private mirror: Mirror | undefined;

  constructor(
    private readonly arch: ModelArch,
    private readonly outputNames: readonly string[],
    private readonly kvType: KvType = 'float32',
  ) {
    this.rowFloats = arch.kvHeads * arch.headDim;
  }

  feedPast(feeds: Record<string, ort.Tensor>, past: PastKv, n: number, inputNames: readonly string[]): void {
    const { kvHeads, headDim } = this.arch;
    const len = past.length;
    if (inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(len + n).fill(1n), [1, len + n]);
    }
    if (inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(len > 0 ? 1 : 0), [1]);
    this.ensureRoom(len + n);
    const mirror = this.mirror;
    const inStep = mirror !== undefined && mirror.cache === past && mirror.edits === past.edits && mirror.tokens === len;
    const current = inStep ? mirror.current : 0;
    if (!inStep) {
      for (let l = 0; l < this.arch.layers; l++) {
        toHeadMajor(past.keys[l], this.keys[0][l], len, kvHeads, headDim);
        toHeadMajor(past.values[l], this.values[0][l], len, kvHeads, headDim);
      }
    }
    this.mirror = { cache: past, edits: past.edits, tokens: len, current };
    const floats = len * this.rowFloats;
    const dims = [1, kvHeads, len, headDim];
    for (let l = 0; l < this.arch.layers; l++) {
      feeds[`past_key_values.${l}.key`] = new ort.Tensor(this.kvType, this.keys[current][l].subarray(0, floats), dims);
      feeds[`past_key_values.${l}.value`] = new ort.Tensor(this.kvType, this.values[current][l].subarray(0, floats), dims);
    }
  }

  /** The presents go into the other buffer; every other output is the runtime's to allocate. */
  fetches(past: PastKv, n: number): Record<string, ort.Tensor | null> {
    const { kvHeads, headDim } = this.arch;
    const next = this.mirror!.current === 0 ? 1 : 0;
    const total = past.length + n;
    const floats = total * this.rowFloats;
    const dims = [1, kvHeads, total, headDim];
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of this.outputNames) fetches[name] = null;
    for (let l = 0; l < this.arch.layers; l++) {
      fetches[`present.${l}.key`] = new ort.Tensor(this.kvType, this.keys[next][l].subarray(0, floats), dims);
      fetches[`present.${l}.value`] = new ort.Tensor(this.kvType, this.values[next][l].subarray(0, floats), dims);
    }
    return fetches;
  }

  takeNew(_out: Record<string, ort.Tensor>, past: PastKv, n: number): NewKv {
    const mirror = this.mirror!;
    const next = mirror.current === 0 ? 1 : 0;
    const total = past.length + n;
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    for (let l = 0; l < this.arch.layers; l++) {
      keys.push(this.lastRows(this.keys[next][l], total, n));
      values.push(this.lastRows(this.values[next][l], total, n));
    }
    // If the caller appends these rows, its next past is exactly the buffer just written.
    this.mirror = { cache: past, edits: past.edits, tokens: total, current: next };
    return { keys, values };
  }

  /** Grows both buffers (keeping the current one's content) to hold at least `tokens` rows. */
  private ensureRoom(tokens: number): void {
    const have = this.keys[0][0]?.length ?? 0;
    if (have >= tokens * this.rowFloats) return;
    const floats = Math.max(tokens, 64, Math.ceil((have / this.rowFloats) * 2)) * this.rowFloats;
    for (const side of [0, 1] as const) {
      for (let l = 0; l < this.arch.layers; l++) {
        const k = this.kvType === 'float16' ? new Uint16Array(floats) : new Float32Array(floats);
        const v = this.kvType === 'float16' ? new Uint16Array(floats) : new Float32Array(floats);
        if (this.keys[side][l]) {
          k.set(this.keys[side][l]);
          v.set(this.values[side][l]);
        }
        this.keys[side][l] = k;
        this.values[side][l] = v;
      }
    }
  }

  /** The last `n` tokens of a head-major tensor of `total` tokens, as `[n, kvHeads, headDim]`. */
  private lastRows(data: KvBuffer, total: number, n: number): Float32Array {
    const { kvHeads, headDim } = this.arch;
    const outBuf = new Float32Array(n * kvHeads * headDim);
    for (let h = 0; h < kvHeads; h++) {
      for (let t = 0; t < n; t++) {
        const src = (h * total + total - n + t) * headDim;
        const dst = (t * kvHeads + h) * headDim;
        if (data instanceof Uint16Array) halvesToFloats(data, src, outBuf, dst, headDim);
        else outBuf.set(data.subarray(src, src + headDim), dst);
      }
    }
    return outBuf;
  }
}

type KvBuffer = Float32Array | Uint16Array;

function toHeadMajor(src: Float32Array, dst: KvBuffer, len: number, kvHeads: number, headDim: number): void {
  for (let t = 0; t < len; t++) {
    for (let h = 0; h < kvHeads; h++) {
      const from = (t * kvHeads + h) * headDim;
      const to = (h * len + t) * headDim;
      if (dst instanceof Uint16Array) floatsToHalves(src, from, dst, to, headDim);
      else dst.set(src.subarray(from, from + headDim), to);
    }
  }
}
