// llama.cpp through node-llama-cpp (its prebuilt CPU binary) on a GGUF of the same weights
// (tools/export/onnxToGguf.ts), its context shift keeping the first `sinks` tokens as Endless
// keeps its sinks (llama.cpp's n_keep).
import { cpuNow, type Peer, type PeerRun } from './types';

export async function llamaCppPeer(ggufPath: string, threads: number, sinks: number, window: number): Promise<Peer & { version: string }> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath: ggufPath });
  const context = await model.createContext({ contextSize: sinks + window, threads, batchSize: 512, sequences: 1 });
  const sequence = context.getSequence();
  const shift = {
    size: Math.ceil(window / 8),
    strategy: ({ size }: { size: number }) => [{ start: sinks, end: sinks + size }],
  };
  return {
    name: 'llama.cpp (node-llama-cpp 3.21.1)',
    version: llama.buildType,
    async run(prompt: number[], steps: number): Promise<PeerRun> {
      await sequence.clearHistory();
      const stamps: number[] = [];
      const cpu: number[] = [];
      const ids: number[] = [];
      const t0 = performance.now();
      const tokens = prompt as never[];
      for await (const token of sequence.evaluate(tokens, { temperature: 0, yieldEogToken: true, contextShift: shift })) {
        stamps.push(performance.now());
        cpu.push(cpuNow());
        ids.push(token as number);
        if (ids.length > steps) break;
      }
      const stepMs = stamps.slice(1).map((t, i) => t - stamps[i]);
      return { prefillMs: stamps[0] - t0, stepMs, stepCpuMs: (cpu.at(-1)! - cpu[0]) / stepMs.length, ids };
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
