// Engine benchmark: decode latency deep into an endless stream, prefill throughput, eviction +
// re-rotation time, memory, and the cache check, for each model given (default: the bundled
// model when present, else the test fixtures).
//   node --import tsx bench/engine.ts [--model DIR]... [--sinks 4] [--window 960]
//        [--positions 1000,10000,100000] [--threads 0,1] [--json]
// --threads: onnxruntime intra-op threads per run; 0 is the engine's own choice (engine.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Engine, loadDecoder, newProgress } from '../src/engine/engine';
import { checkCache } from '../src/engine/evaluate';
import { loadModelDir, type ModelDir } from '../src/engine/modelDir';
import { packageRoot } from '../src/engine/packageRoot';
import { freshChat, type HostToWorker, type WorkerToHost } from '../src/engine/protocol';
import { SinkCache } from '../src/engine/sinkCache';
import { Stream } from '../src/engine/stream';
import { append } from '../src/engine/tokenList';
import { TextTokenizer } from '../src/engine/tokenizer';

const ROOT = packageRoot(__dirname);

interface DecodePoint {
  position: number;
  /** Median wall-clock time of one decode step. */
  msPerToken: number;
  /** Mean CPU time of one decode step (all threads): steadier than wall time on a busy machine. */
  cpuMsPerToken: number;
  cached: number;
}

interface ModelBench {
  model: string;
  interface: string;
  threads: string;
  decode: DecodePoint[];
  prefillTokensPerSec: number;
  evictions: number;
  meanEvictionMs: number;
  evictHalfWindowMs: number;
  rssMb: number;
  checkCache: { layer0KvDiff: number; logitsDiff: number };
}

/** Enough source text for `tokens` tokens: the repository's own code, repeated as needed. */
function corpus(tokenizer: TextTokenizer, tokens: number): number[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|md|mjs|py)$/.test(name)) files.push(path);
    }
  };
  for (const dir of ['src', 'docs', 'tools', 'test/unit']) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  const base = tokenizer.encodeText(files.sort().map((f) => readFileSync(f, 'utf8')).join('\n'));
  const ids = [tokenizer.special.sink ?? base[0]];
  while (ids.length < tokens) append(ids, base.slice(0, tokens - ids.length));
  return ids;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function benchModel(model: ModelDir, sinks: number, window: number, positions: number[], threads: number): Promise<ModelBench> {
  const tokenizer = new TextTokenizer(model);
  const decoder = await loadDecoder(model, threads);
  const stream = new Stream(decoder, model.arch, { mode: 'sink', sinks, window, prefillChunk: 256 });
  const decodeTokens = 48;
  const ids = corpus(tokenizer, Math.max(...positions) + decodeTokens * positions.length + 1);
  const decode: DecodePoint[] = [];
  let at = 0;
  let prefillMs = 0;
  let prefilled = 0;
  for (const position of positions) {
    // Stream up to `position` in big prefill chunks (evicting on the way), then decode one token at a time.
    const t0 = performance.now();
    const upTo = position - at;
    for await (const _ of stream.feed(ids.slice(at, at + upTo)));
    prefillMs += performance.now() - t0;
    prefilled += upTo;
    at += upTo;
    const times: number[] = [];
    let cpuMs = 0;
    for (let i = 0; i < decodeTokens; i++) {
      const cpu = process.cpuUsage();
      const evictionsBefore = stream.counters.evictions;
      const s = performance.now();
      for await (const _ of stream.feed([ids[at++]]));
      // A step that evicted is reported with evictions, not as decode latency.
      if (stream.counters.evictions === evictionsBefore) {
        times.push(performance.now() - s);
        const used = process.cpuUsage(cpu);
        cpuMs += (used.user + used.system) / 1000;
      }
    }
    decode.push({ position, msPerToken: median(times), cpuMsPerToken: cpuMs / times.length, cached: stream.cache.length });
  }
  const rssMb = process.memoryUsage().rss / 2 ** 20;

  // Eviction of half a full window, re-rotating the rest: the worst single eviction the product does.
  const cache = new SinkCache(model.arch, sinks + window);
  const rows = window + sinks;
  const fill = new Float32Array(rows * model.arch.kvHeads * model.arch.headDim).map((_, i) => Math.sin(i));
  cache.append(new Array(rows).fill(0), new Array(model.arch.layers).fill(fill), new Array(model.arch.layers).fill(fill));
  const evictHalfWindowMs = cache.evict(sinks, Math.floor(window / 2));

  const checkIds = ids.slice(0, Math.min(ids.length, 6 * (sinks + window)));
  const check = await checkCache({ decoder, arch: model.arch, mode: 'sink', sinks, window }, checkIds, 4);
  await decoder.release();
  return {
    model: model.name,
    interface: decoder.kind,
    threads: `decode ${decoder.decodeThreads}, prefill ${decoder.prefillThreads}`,
    decode,
    prefillTokensPerSec: (prefilled * 1000) / prefillMs,
    evictions: stream.counters.evictions,
    meanEvictionMs: stream.counters.totalEvictionMs / Math.max(1, stream.counters.evictions),
    evictHalfWindowMs,
    rssMb,
    checkCache: { layer0KvDiff: check.maxLayer0KvDiff, logitsDiff: check.maxLogitsDiff },
  };
}

/**
 * Completion latency while typing: the editor stream is fed a context chunk and the current
 * file around the cursor, then each keystroke asks for a completion (as the host does).
 */
async function typing(modelDir: string, sinks: number, window: number): Promise<string[]> {
  const engine = await Engine.load({ modelDir, sinks, window, pinnedSystemPrompt: '', threads: 0 });
  const file = readFileSync(join(ROOT, 'src/engine/stream.ts'), 'utf8');
  const context = {
    chunks: [{ path: 'src/engine/sinkCache.ts', text: readFileSync(join(ROOT, 'src/engine/sinkCache.ts'), 'utf8').slice(0, 1500) }],
    path: 'src/engine/stream.ts',
    languageId: 'typescript',
    prefix: file.slice(0, 1200),
    suffix: file.slice(1200, 1600),
  };
  const drain = async (steps: AsyncGenerator<void, unknown, void>) => {
    while (!(await steps.next()).done);
  };
  const lines: string[] = [];
  const fed = newProgress();
  let t0 = performance.now();
  await drain(engine.feed(context, fed));
  lines.push(`feed: ${fed.prefilledTokens} tokens pre-filled in ${(performance.now() - t0).toFixed(0)} ms`);
  const options = { maxTokens: 16, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, stop: [], timeBudgetMs: 0 };
  for (const typed of ['c', 'co', 'con', 'cons']) {
    const p = newProgress();
    t0 = performance.now();
    await drain(engine.complete({ ...context, prefix: context.prefix + typed }, options, p, () => {}));
    const first = p.firstTokenAt ? `${(p.firstTokenAt - t0).toFixed(0)} ms to the first token` : 'no token';
    lines.push(`typed ${JSON.stringify(typed)}: ${p.prefilledTokens} of ${p.promptTokens} tokens pre-filled, ${first}, ${p.generatedTokens} tokens in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  await engine.dispose();
  return lines;
}

/**
 * RSS of a process running the real worker thread: before the model loads, and after both
 * streams have turned over their windows several times (chat turns and editor feeds).
 */
async function workerRss(modelDir: string, sinks: number, window: number, text: string): Promise<{ idleMb: number; busyMb: number }> {
  const entry = JSON.stringify(join(ROOT, 'src/engine/worker.ts'));
  const worker = new Worker(`require('tsx/cjs'); require(${entry});`, { eval: true });
  let latest: WorkerToHost | undefined;
  const waiting = new Map<number, () => void>();
  let rss = 0;
  worker.on('message', (m: WorkerToHost) => {
    latest = m;
    if (m.type === 'stats') rss = m.stats.rssBytes;
    if ((m.type === 'done' || m.type === 'ready' || m.type === 'error') && m.id !== null) waiting.get(m.id)?.();
  });
  const request = (m: HostToWorker) =>
    new Promise<void>((resolve) => {
      waiting.set(m.id, resolve);
      worker.postMessage(m);
    });
  const idle = process.memoryUsage().rss;
  await request({ type: 'init', id: 1, config: { modelDir, sinks, window, pinnedSystemPrompt: 'You are a helpful coding assistant.', threads: 0 } });
  if (latest?.type === 'error') throw new Error(latest.message);
  const options = { maxTokens: 32, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, stop: [], timeBudgetMs: 0 };
  const piece = Math.floor(text.length / 8);
  let id = 2;
  for (let i = 0; i < 8; i++) {
    const chunk = text.slice(i * piece, (i + 1) * piece);
    await request({ type: 'chat', id: id++, turn: freshChat([{ role: 'user', content: chunk }]), options });
    await request({ type: 'feed', id: id++, context: { chunks: [{ path: `f${i}.ts`, text: chunk }], path: 'a.ts', languageId: 'typescript', prefix: chunk.slice(0, 400), suffix: '' } });
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  await request({ type: 'shutdown', id: id++ });
  await worker.terminate();
  return { idleMb: idle / 2 ** 20, busyMb: rss / 2 ** 20 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true },
      sinks: { type: 'string', default: '4' },
      window: { type: 'string', default: '960' },
      positions: { type: 'string', default: '1000,10000,100000' },
      threads: { type: 'string', default: '0,1' },
      json: { type: 'boolean' },
    },
  });
  const defaultModel = join(ROOT, 'models/default');
  const fixtures = join(ROOT, 'test/fixtures/models');
  const models =
    values.model ??
    (existsSync(join(defaultModel, 'config.json'))
      ? [defaultModel]
      : readdirSync(fixtures).map((d) => join(fixtures, d)).filter((d) => existsSync(join(d, 'config.json'))));
  const positions = values.positions!.split(',').map(Number);
  const sinks = Number(values.sinks);
  const window = Number(values.window);
  // Memory first, while this process holds nothing else.
  const memory: { model: string; idleMb: number; busyMb: number }[] = [];
  for (const dir of models) {
    const model = loadModelDir(dir);
    const w = Math.min(window, model.arch.maxPositionEmbeddings - sinks);
    const text = readFileSync(join(ROOT, 'src/engine/stream.ts'), 'utf8').repeat(6);
    const m = await workerRss(dir, sinks, w, text);
    memory.push({ model: model.name, ...m });
    if (!values.json) {
      console.log(`\n${model.name}: process RSS ${m.idleMb.toFixed(0)} MB before the worker loads the model, ${m.busyMb.toFixed(0)} MB with the worker serving both streams after their windows turned over`);
    }
  }
  const results: ModelBench[] = [];
  for (const dir of models) {
    const model = loadModelDir(dir);
    const w = Math.min(window, model.arch.maxPositionEmbeddings - sinks);
    for (const threads of values.threads!.split(',').map(Number)) {
      const r = await benchModel(model, sinks, w, positions, threads);
      results.push(r);
      if (!values.json) {
        console.log(`\n${r.model} (${r.interface}, ${model.arch.layers} layers, kv ${model.arch.kvHeads}×${model.arch.headDim}) · sinks ${sinks} · window ${w} · threads ${r.threads}${threads === 0 ? ' (engine choice)' : ''}`);
        for (const d of r.decode) {
          console.log(`  decode at ~${d.position} tokens streamed: ${d.msPerToken.toFixed(2)} ms/token wall, ${d.cpuMsPerToken.toFixed(2)} ms CPU (${d.cached} cached)`);
        }
        console.log(`  prefill (chunks of 256, with evictions): ${r.prefillTokensPerSec.toFixed(0)} tokens/s`);
        console.log(`  eviction + re-rotation: ${r.meanEvictionMs.toFixed(2)} ms per eviction (${r.evictions} evictions); half a window at once: ${r.evictHalfWindowMs.toFixed(2)} ms`);
        console.log(`  process RSS after ${Math.max(...positions)} tokens: ${r.rssMb.toFixed(0)} MB`);
        console.log(`  check-cache: layer-0 K/V diff ${r.checkCache.layer0KvDiff.toExponential(2)}, next-token logits diff ${r.checkCache.logitsDiff.toExponential(2)}`);
      }
    }
  }
  const completions: Record<string, string[]> = {};
  for (const dir of models) {
    const model = loadModelDir(dir);
    completions[model.name] = await typing(dir, sinks, Math.min(window, model.arch.maxPositionEmbeddings - sinks));
    if (!values.json) console.log(`\n${model.name}, completions while typing:\n  ${completions[model.name].join('\n  ')}`);
  }
  if (values.json) console.log(JSON.stringify({ results, memory, completions }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
