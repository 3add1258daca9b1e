// The ceiling (item 6): this machine's memory read bandwidth, measured in the same run, and the
// bytes a decode step must read at least: every weight once (the embedding table only for the
// one row it looks up) and every cached K/V value once. bytes ÷ bandwidth is a floor no engine
// can beat on this machine; each decode figure is reported as a multiple of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readOnnx } from '../../tools/export/onnxProto';
import type { ModelArch } from '../../src/engine/modelDir';

export interface Bandwidth {
  /** GB/s (10^9 bytes) reading a buffer far larger than any cache, one thread. */
  read1: number;
  /** The same with one reader per core. */
  readAll: number;
  threadsAll: number;
  /** GB/s reading a 16 MB buffer again and again (what a decode step's working set sees if caches hold it). */
  read16MB: number;
  bufferMb: number;
}

/** Scans `buf` for a byte it does not hold: memchr, vectorised, bound by memory reads. */
function scan(buf: Buffer, reps: number): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    if (buf.indexOf(7) !== -1) throw new Error('bandwidth buffer holds the probe byte');
    best = Math.min(best, performance.now() - t0);
  }
  return buf.length / (best / 1000) / 1e9;
}

async function parallelRead(threads: number, bytesEach: number, reps: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const buf = Buffer.alloc(workerData.bytes, 1);
    const go = new Int32Array(workerData.go);
    parentPort.postMessage('ready');
    Atomics.wait(go, 0, 0);
    const times = [];
    for (let r = 0; r < workerData.reps; r++) {
      Atomics.add(go, 1, 1);
      while (Atomics.load(go, 1) < (r + 1) * workerData.threads) {}
      const t0 = performance.now();
      buf.indexOf(7);
      times.push(performance.now() - t0);
    }
    parentPort.postMessage(times);`;
  const go = new SharedArrayBuffer(8);
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true, workerData: { bytes: bytesEach, reps, go, threads } }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const results = workers.map((w) => new Promise<number[]>((r) => w.once('message', r)));
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const times = await Promise.all(results);
  await Promise.all(workers.map((w) => w.terminate()));
  // Each repetition's wall time is its slowest reader; the best repetition counts.
  let best = Infinity;
  for (let r = 0; r < reps; r++) best = Math.min(best, Math.max(...times.map((t) => t[r])));
  return (threads * bytesEach) / (best / 1000) / 1e9;
}

export async function measureBandwidth(quick: boolean, threadsAll: number): Promise<Bandwidth> {
  const bufferMb = quick ? 256 : 512;
  const big = Buffer.alloc(bufferMb * 2 ** 20, 1);
  const read1 = scan(big, quick ? 5 : 9);
  const small = Buffer.alloc(16 * 2 ** 20, 1);
  const read16MB = scan(small, 40);
  const readAll = threadsAll > 1 ? await parallelRead(threadsAll, Math.floor((bufferMb * 2 ** 20) / threadsAll), quick ? 5 : 9) : read1;
  return { read1, readAll, threadsAll, read16MB, bufferMb };
}

export interface StepBytes {
  /** Weights read once per decode step (the embedding counts one row). */
  weightBytes: number;
  /** K/V bytes per cached token (all layers, keys and values). */
  kvBytesPerToken: number;
}

/** Bytes an ONNX decode step reads: all initializers, except the embedding table's other rows. */
export function onnxStepBytes(modelDir: string, arch: ModelArch, kvBytesPerValue = 4): StepBytes {
  const graph = readOnnx(readFileSync(join(modelDir, 'onnx/model.onnx')));
  let total = 0;
  for (const t of graph.initializers.values()) total += t.raw.length;
  const gather = graph.nodes.find((n) => n.opType === 'Gather' && n.inputs[1] === 'input_ids');
  const table = gather ? graph.initializers.get(gather.inputs[0]) : undefined;
  if (table) total -= table.raw.length - table.raw.length / arch.vocabSize;
  return { weightBytes: total, kvBytesPerToken: arch.layers * 2 * arch.kvHeads * arch.headDim * kvBytesPerValue };
}

export function floorMs(bytes: StepBytes, cached: number, gbPerSec: number): number {
  return ((bytes.weightBytes + cached * bytes.kvBytesPerToken) / (gbPerSec * 1e9)) * 1000;
}
