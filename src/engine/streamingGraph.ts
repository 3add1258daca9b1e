// The streaming interface (docs/streaming-onnx.md): the past goes in as zero-copy views of the
// cache's own buffers `[1, past, kvHeads, headDim]`, and only the new tokens' K/V come back.
import * as ort from 'onnxruntime-node';
import type { GraphInterface, NewKv, PastKv } from './graphInterface';
import type { ModelArch } from './modelDir';

export class StreamingGraph implements GraphInterface {
  readonly kind = 'streaming';

  constructor(private readonly arch: ModelArch) {}

  feedPast(feeds: Record<string, ort.Tensor>, past: PastKv): void {
    const { kvHeads, headDim } = this.arch;
    const floats = past.length * kvHeads * headDim;
    const dims = [1, past.length, kvHeads, headDim];
    for (let l = 0; l < this.arch.layers; l++) {
      // subarray shares memory: the runtime reads the cache in place.
      feeds[`past_key.${l}`] = new ort.Tensor('float32', past.keys[l].subarray(0, floats), dims);
      feeds[`past_value.${l}`] = new ort.Tensor('float32', past.values[l].subarray(0, floats), dims);
    }
  }

  fetches(): undefined {
    return undefined;
  }

  takeNew(out: Record<string, ort.Tensor>): NewKv {
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    for (let l = 0; l < this.arch.layers; l++) {
      keys.push(out[`key.${l}`].data as Float32Array);
      values.push(out[`value.${l}`].data as Float32Array);
    }
    return { keys, values };
  }
}
