// Endless as a peer: the engine's Stream over either ONNX interface, sinks and window as the product.
import { Decoder } from '../../src/engine/decoder';
import { loadModelDir } from '../../src/engine/modelDir';
import { Stream } from '../../src/engine/stream';
import { cpuNow, type Peer, type PeerRun } from './types';

const argmax = (logits: Float32Array) => {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
};

export async function endlessPeer(name: string, modelDir: string, threads: number, sinks: number, window: number): Promise<Peer> {
  const model = loadModelDir(modelDir);
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads });
  return {
    name,
    async run(prompt: number[], steps: number): Promise<PeerRun> {
      const stream = new Stream(decoder, model.arch, { mode: 'sink', sinks, window, prefillChunk: 256 });
      const t0 = performance.now();
      for await (const _ of stream.feed(prompt));
      const ids = [argmax(stream.lastLogits!)];
      const prefillMs = performance.now() - t0;
      const stepMs: number[] = [];
      const cpu0 = cpuNow();
      for (let i = 0; i < steps; i++) {
        const s = performance.now();
        for await (const _ of stream.feed([ids.at(-1)!]));
        ids.push(argmax(stream.lastLogits!));
        stepMs.push(performance.now() - s);
      }
      return { prefillMs, stepMs, stepCpuMs: (cpuNow() - cpu0) / steps, ids };
    },
    dispose: () => decoder.release(),
  };
}
