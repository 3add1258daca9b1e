// What the decoder needs from an ONNX interface: how to hand it the cached K/V and how to read
// the new tokens' K/V back. One implementation per interface (streamingGraph.ts, hfGraph.ts).
import type * as ort from 'onnxruntime-node';

export type DecoderInterface = 'streaming' | 'hf-with-past';

/** Element type of the K/V tensors a graph takes and returns (the cache itself is always float32). */
export type KvType = 'float32' | 'float16';

export interface PastKv {
  /** Per layer, `[capacity, kvHeads, headDim]`; only the first `length` slots are read. */
  keys: readonly Float32Array[];
  values: readonly Float32Array[];
  length: number;
  /**
   * Changes whenever slots already handed to the decoder change (eviction, truncation,
   * reallocation); appending leaves it. Without it the object must change only by appending.
   */
  readonly edits?: number;
}

export interface NewKv {
  /** Per layer, the new tokens' keys (after RoPE at their positions) `[n, kvHeads, headDim]`. */
  keys: Float32Array[];
  values: Float32Array[];
}

export interface GraphInterface {
  readonly kind: DecoderInterface;
  /** Adds the past K/V (and whatever else the interface derives from it) to `feeds`. */
  feedPast(feeds: Record<string, ort.Tensor>, past: PastKv, n: number, inputNames: readonly string[]): void;
  /** Output tensors to bind before the run (written in place by the runtime), if any. */
  fetches(past: PastKv, n: number): Record<string, ort.Tensor | null> | undefined;
  /** The new tokens' K/V from the outputs of the run, in the cache's layout. */
  takeNew(out: Record<string, ort.Tensor>, past: PastKv, n: number): NewKv;
}
