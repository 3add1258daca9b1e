// Streams for evaluation only (`endless ppl`, the benchmarks): the cache modes the paper
// compares the attention sink against. `dense` never evicts (the cache grows), `recompute`
// slides its window and runs the kept tokens through the model again from position 0. The
// product's sink stream is in stream.ts.
import type { Decoder } from './decoder';
import type { ModelArch } from './modelDir';
import { Stream, type StreamOptions } from './stream';

/** A stream in any cache mode: the product's for `sink` and `window`, an evaluation one otherwise. */
export function openStream(decoder: Decoder, arch: ModelArch, options: StreamOptions): Stream {
  if (options.mode === 'dense') return new DenseStream(decoder, arch, options);
  if (options.mode === 'recompute') return new RecomputeStream(decoder, arch, options);
  return new Stream(decoder, arch, options);
}

/** Dense attention: nothing is ever evicted; the cache doubles when full. */
class DenseStream extends Stream {
  protected override async *makeRoom(needed: number): AsyncGenerator<void, void, void> {
    this.cache.grow(this.cache.free + needed);
  }
}

/** Sliding window with re-computation: after each slide the kept tokens are run again. */
class RecomputeStream extends Stream {
  protected override async *makeRoom(needed: number): AsyncGenerator<void, void, void> {
    const count = this.chooseEviction(needed);
    const kept = Array.from(this.cache.tokens.subarray(count, this.cache.length));
    const t0 = performance.now();
    this.cache.truncate(0);
    this.windowStart += count;
    const epoch = this.epoch;
    for (let i = 0; i < kept.length; i += this.prefillChunk) {
      const chunk = kept.slice(i, i + this.prefillChunk);
      const result = await this.decoder.run(chunk, this.cache.length, this.cache, false);
      if (this.epoch !== epoch) return;
      this.cache.append(chunk, result.keys, result.values);
      yield;
    }
    this.noteEviction(count, performance.now() - t0);
  }
}
