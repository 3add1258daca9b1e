// The Hugging Face / Optimum "decoder with past" interface: past K/V `[1, kvHeads, past,
// headDim]` in, whole presents `[1, kvHeads, past + n, headDim]` out. The cache stays in the
// streaming layout; each step transposes it in and takes the new tokens' rows out.
import * as ort from 'onnxruntime-node';
import type { GraphInterface, NewKv, PastKv } from './graphInterface';
import type { ModelArch } from './modelDir';

export class HfGraph implements GraphInterface {
  readonly kind = 'hf-with-past';
  /** Reused buffers for the transposed past. */
  private scratchK: Float32Array[] = [];
  private scratchV: Float32Array[] = [];

  constructor(private readonly arch: ModelArch) {}

  feedPast(feeds: Record<string, ort.Tensor>, past: PastKv, n: number, inputNames: readonly string[]): void {
    const { kvHeads, headDim } = this.arch;
    const len = past.length;
    if (inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(len + n).fill(1n), [1, len + n]);
    }
    if (inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(len > 0 ? 1 : 0), [1]);
    const floats = len * kvHeads * headDim;
    for (let l = 0; l < this.arch.layers; l++) {
      if (!this.scratchK[l] || this.scratchK[l].length < floats) {
        this.scratchK[l] = new Float32Array(Math.max(floats, 1024));
        this.scratchV[l] = new Float32Array(Math.max(floats, 1024));
      }
      toHeadMajor(past.keys[l], this.scratchK[l], len, kvHeads, headDim);
      toHeadMajor(past.values[l], this.scratchV[l], len, kvHeads, headDim);
      const dims = [1, kvHeads, len, headDim];
      feeds[`past_key_values.${l}.key`] = new ort.Tensor('float32', this.scratchK[l].subarray(0, floats), dims);
      feeds[`past_key_values.${l}.value`] = new ort.Tensor('float32', this.scratchV[l].subarray(0, floats), dims);
    }
  }

  fetches(): undefined {
    return undefined;
  }

  takeNew(out: Record<string, ort.Tensor>, _past: PastKv, n: number): NewKv {
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    for (let l = 0; l < this.arch.layers; l++) {
      keys.push(this.lastRows(out[`present.${l}.key`], n));
      values.push(this.lastRows(out[`present.${l}.value`], n));
    }
    return { keys, values };
  }

  /** The last `n` tokens of a present tensor `[1, kvHeads, total, headDim]`, as `[n, kvHeads, headDim]`. */
  private lastRows(present: ort.Tensor, n: number): Float32Array {
    const { kvHeads, headDim } = this.arch;
    const total = present.dims[2];
    const data = present.data as Float32Array;
    const outBuf = new Float32Array(n * kvHeads * headDim);
    for (let h = 0; h < kvHeads; h++) {
      for (let t = 0; t < n; t++) {
        const src = (h * total + total - n + t) * headDim;
        outBuf.set(data.subarray(src, src + headDim), (t * kvHeads + h) * headDim);
      }
    }
    return outBuf;
  }
}

function toHeadMajor(src: Float32Array, dst: Float32Array, len: number, kvHeads: number, headDim: number): void {
  for (let t = 0; t < len; t++) {
    for (let h = 0; h < kvHeads; h++) {
      const from = (t * kvHeads + h) * headDim;
      dst.set(src.subarray(from, from + headDim), (h * len + t) * headDim);
    }
  }
}
