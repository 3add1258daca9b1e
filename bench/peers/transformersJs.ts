// transformers.js (the peer a JavaScript user would pick) on the standard "decoder with past"
// export of the same weights: its own generate loop, greedy, end-of-sequence held off.
import { cpuNow, type Peer, type PeerRun } from './types';

export async function transformersJsPeer(modelDir: string, threads: number): Promise<Peer> {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  const model = await tf.AutoModelForCausalLM.from_pretrained(modelDir, {
    local_files_only: true,
    dtype: 'fp32', // onnx/model.onnx: the int4 MatMulNBits graph itself
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return {
    name: 'transformers.js 4.3.1',
    async run(prompt: number[], steps: number): Promise<PeerRun> {
      const stamps: number[] = [];
      const cpu: number[] = [];
      const ids: number[] = [];
      // The first put is the prompt, before any forward pass; each later one is a generated token.
      const streamer = {
        put(value: bigint[][]) {
          stamps.push(performance.now());
          cpu.push(cpuNow());
          if (stamps.length > 1) ids.push(Number(value[0][0]));
        },
        end() {},
      };
      const input = new tf.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
      const mask = new tf.Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
      const t0 = performance.now();
      await model.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: steps + 1,
        min_new_tokens: steps + 1,
        do_sample: false,
        streamer: streamer as never,
      } as never);
      const stepMs = stamps.slice(2).map((t, i) => t - stamps[i + 1]);
      return { prefillMs: stamps[1] - t0, stepMs, stepCpuMs: (cpu.at(-1)! - cpu[1]) / stepMs.length, ids };
    },
    async dispose() {
      await model.dispose();
    },
  };
}
