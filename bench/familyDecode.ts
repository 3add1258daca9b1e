// Decode speed of every family fixture (test/fixtures/models/hf-*) through the standard
// Hugging Face with-past interface, for each of its graphs (float32, float16 K/V, int4), with a
// sink cache of 4 + 120 slots that keeps turning over (eviction and re-rotation included).
//
// For float16 graphs it also times the other way to cross the boundary: converting the whole
// float32 cache to float16 on every step (a new past object each step makes the adapter rebuild
// its mirror), against the adapter's float16 mirror that converts only each step's new rows.
//
//   node --import tsx bench/familyDecode.ts [--steps 300] [--json]
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Decoder } from '../src/engine/decoder';
import type { PastKv } from '../src/engine/graphInterface';
import { loadModelDir } from '../src/engine/modelDir';
import { SinkCache } from '../src/engine/sinkCache';
import { median } from './lib/stats';

const { values } = parseArgs({ options: { steps: { type: 'string' }, json: { type: 'boolean' } } });
const steps = Number(values.steps ?? 300);
const root = join(__dirname, '..', 'test', 'fixtures', 'models');
const SINKS = 4;
const CAPACITY = 124;

interface Row {
  model: string;
  graph: string;
  kvType: string;
  boundary: 'mirror' | 'convert-every-step';
  msPerToken: number;
  p90: number;
}

async function time(dir: string, graph: string, rebuildEveryStep: boolean): Promise<Row> {
  const model = loadModelDir(dir, graph);
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
  const cache = new SinkCache(model.arch, CAPACITY);
  const vocab = Math.min(model.arch.vocabSize, 1000);
  let token = 7;
  const next = () => (token = (token * 31 + 11) % vocab);
  const prompt = Array.from({ length: 16 }, next);
  let r = await decoder.run(prompt, 0, cache, false);
  cache.append(prompt, r.keys, r.values);
  const times: number[] = [];
  for (let i = 0; i < steps + 20; i++) {
    if (cache.free < 1) cache.evict(SINKS, 16);
    const id = [next()];
    const past: PastKv = rebuildEveryStep ? { keys: cache.keys, values: cache.values, length: cache.length } : cache;
    const t0 = performance.now();
    r = await decoder.run(id, cache.length, past, false);
    if (i >= 20) times.push(performance.now() - t0);
    cache.append(id, r.keys, r.values);
  }
  await decoder.release();
  const sorted = [...times].sort((a, b) => a - b);
  return {
    model: basename(dir),
    graph,
    kvType: decoder.kvType,
    boundary: rebuildEveryStep ? 'convert-every-step' : 'mirror',
    msPerToken: median(times),
    p90: sorted[Math.floor(sorted.length * 0.9)],
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const name of readdirSync(root).filter((n) => n.startsWith('hf-')).sort()) {
    const dir = join(root, name);
    for (const graph of readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.onnx')).sort()) {
      rows.push(await time(dir, graph, false));
      if (graph.includes('fp16')) rows.push(await time(dir, graph, true));
    }
  }
  if (values.json) {
    console.log(JSON.stringify({ steps, capacity: CAPACITY, rows }, null, 2));
    return;
  }
  console.log(`decode, 1 thread, sink cache ${SINKS} + ${CAPACITY - SINKS} slots turning over, ${steps} steps (median, p90 ms/token)`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(11)} ${r.graph.padEnd(16)} K/V ${r.kvType.padEnd(8)} ${r.boundary.padEnd(19)} ${r.msPerToken.toFixed(3)}  p90 ${r.p90.toFixed(3)}`);
  }
}

void main();
