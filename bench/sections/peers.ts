// Peers side by side (item 2): the same weights, the same prompt, the same threads. Endless on its
// streaming graph and on the standard export, transformers.js on the standard export, llama.cpp
// on a GGUF written from the same int4 blocks. Prefill = prompt → first token; decode = the
// median single-token step after it, end-of-sequence ignored.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDir } from '../../src/engine/modelDir';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { convert, type ConversionReport } from '../../tools/export/onnxToGguf';
import { median } from '../lib/stats';
import type { StepBytes } from './ceiling';
import { heldoutIds, ROOT } from '../lib/text';
import { endlessPeer } from '../peers/endless';
import { llamaCppPeer } from '../peers/llamaCpp';
import { transformersJsPeer } from '../peers/transformersJs';
import type { Peer, PeerRun } from '../peers/types';

export interface PeerPoint {
  peer: string;
  context: number;
  prefillMs: number;
  prefillTokensPerSec: number;
  decodeMsPerToken: number;
  decodeCpuMsPerToken: number;
  steps: number;
  generated: number;
  /** Greedy tokens equal to Endless's (streaming graph) before the first difference. */
  agreesWithEndless: number;
}

export interface PeersResult {
  threads: number;
  contexts: number[];
  points: PeerPoint[];
  gguf: ConversionReport & { path: string };
  /** What a llama.cpp decode step reads: the GGUF's weights (one embedding row) and f16 K/V, its default cache type. */
  ggufStepBytes: StepBytes;
  errors: Record<string, string>;
}

const STANDARD = join(ROOT, 'bench/models/default-hf');
export const GGUF = join(ROOT, 'bench/models/default-q4_0.gguf');

/** The GGUF of the bench model, written afresh by every run (seconds) so it always matches the ONNX weights. */
function writeGguf(): ConversionReport & { path: string } {
  const report = convert(STANDARD, `${GGUF}.tmp`);
  renameSync(`${GGUF}.tmp`, GGUF);
  return { ...report, path: GGUF };
}

export async function peersSection(o: {
  defaultModel: string;
  threads: number;
  sinks: number;
  window: number;
  contexts: number[];
  steps: number;
  reps: number;
  log: (line: string) => void;
}): Promise<PeersResult> {
  const gguf = writeGguf();
  o.log(`  GGUF: ${gguf.tensors} tensors, scales rounded to fp16 (largest relative error ${gguf.scaleRounding.maxRelError.toExponential(2)})`);
  const model = loadModelDir(o.defaultModel);
  const tokenizer = new TextTokenizer(model);
  const a = model.arch;
  const hidden: number = JSON.parse(readFileSync(join(o.defaultModel, 'config.json'), 'utf8')).hidden_size;
  const ggufStepBytes: StepBytes = {
    weightBytes: gguf.bytes - (a.vocabSize - 1) * hidden * 4, // F32 embedding: one row read
    kvBytesPerToken: a.layers * 2 * a.kvHeads * a.headDim * 2,
  };
  const all = heldoutIds(tokenizer, Math.max(...o.contexts));
  const makers: [string, () => Promise<Peer>][] = [
    ['Endless, streaming graph', () => endlessPeer('Endless, streaming graph', o.defaultModel, o.threads, o.sinks, o.window)],
    ['Endless, standard export', () => endlessPeer('Endless, standard export', STANDARD, o.threads, o.sinks, o.window)],
    ['transformers.js 4.3.1', () => transformersJsPeer(STANDARD, o.threads)],
    ['llama.cpp (node-llama-cpp 3.21.1)', () => llamaCppPeer(GGUF, o.threads, o.sinks, o.window)],
  ];
  const errors: Record<string, string> = {};
  const peers: Peer[] = [];
  for (const [name, make] of makers) {
    try {
      const peer = await make();
      await peer.run(all.slice(0, 32), 4); // warm-up: first-run allocations are not the steady state
      peers.push(peer);
    } catch (err) {
      errors[name] = err instanceof Error ? err.message : String(err);
      o.log(`  ${name}: FAILED ${errors[name]}`);
    }
  }
  // Round robin, so that load from other work on the machine falls on every engine alike.
  const runs = new Map<string, PeerRun[]>();
  for (let r = 0; r < o.reps; r++) {
    for (const context of o.contexts) {
      for (const peer of peers) {
        const key = `${peer.name}@${context}`;
        try {
          runs.set(key, [...(runs.get(key) ?? []), await peer.run(all.slice(0, context), o.steps)]);
        } catch (err) {
          errors[peer.name] = err instanceof Error ? err.message : String(err);
        }
      }
    }
  }
  for (const peer of peers) await peer.dispose();
  const points: PeerPoint[] = [];
  for (const context of o.contexts) {
    const reference = runs.get(`${peers[0]?.name}@${context}`)?.at(-1)?.ids ?? [];
    for (const peer of peers) {
      const done = runs.get(`${peer.name}@${context}`);
      if (!done?.length) continue;
      const ids = done.at(-1)!.ids;
      let agree = 0;
      while (agree < Math.min(reference.length, ids.length) && reference[agree] === ids[agree]) agree++;
      const prefill = median(done.map((d) => d.prefillMs));
      const p: PeerPoint = {
        peer: peer.name,
        context,
        prefillMs: prefill,
        prefillTokensPerSec: (context * 1000) / prefill,
        decodeMsPerToken: median(done.flatMap((d) => d.stepMs)),
        decodeCpuMsPerToken: median(done.map((d) => d.stepCpuMs)),
        steps: done.reduce((a, d) => a + d.stepMs.length, 0),
        agreesWithEndless: agree,
        generated: ids.length,
      };
      points.push(p);
      o.log(`  ${peer.name} @${context}: prefill ${p.prefillMs.toFixed(0)} ms (${p.prefillTokensPerSec.toFixed(0)} tok/s), decode ${p.decodeMsPerToken.toFixed(2)} ms/token (CPU ${p.decodeCpuMsPerToken.toFixed(2)}), greedy agrees for ${agree} of ${ids.length}`);
    }
  }
  return { threads: o.threads, contexts: o.contexts, points, gguf, ggufStepBytes, errors };
}
