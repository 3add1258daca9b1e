// Decode latency (item 1): ms per token against cached tokens and against the position in an
// endless stream, for sink (the product), dense (no eviction) and recompute (sliding window
// re-run for every token), all on the bundled model through the engine's own Stream.
import { loadDecoder } from '../../src/engine/engine';
import type { ModelDir } from '../../src/engine/modelDir';
import { Stream } from '../../src/engine/stream';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { median } from '../lib/stats';
import { heldoutIds } from '../lib/text';

export interface DecodePoint {
  mode: 'sink' | 'dense' | 'recompute';
  /** Tokens streamed before the measured steps. */
  position: number;
  /** Tokens in the cache when the measured steps began. */
  cached: number;
  /** Median wall time of one step (sampling excluded: argmax is the same for every engine). */
  msPerToken: number;
  /** Mean CPU time of one step, all threads (steadier than wall time on a shared machine). */
  cpuMsPerToken: number;
  steps: number;
}

export interface DecodeResult {
  threads: { decode: number; prefill: number };
  sinks: number;
  window: number;
  byCached: DecodePoint[];
  byPosition: DecodePoint[];
  /** Sink decode at the largest position ÷ at the first (goal ≤ 1.10). */
  flatness: { ratio: number; from: number; to: number };
  /** Recompute ÷ sink decode at the first position, same window. */
  recomputeOverSink: number;
  sinkPrefillTokensPerSec: number;
  meanEvictionMs: number;
  evictions: number;
}

export interface DecodeOptions {
  model: ModelDir;
  threads: number;
  sinks: number;
  window: number;
  cachedPoints: number[];
  positions: number[];
  steps: number;
  recomputeSteps: number;
  log: (line: string) => void;
}

const argmax = (logits: Float32Array) => {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
};

/** Runs `steps` single-token steps (greedy, so the text stays plausible) and times each. */
export async function timeSteps(stream: Stream, steps: number, skipEvictions: boolean): Promise<{ ms: number[]; cpuMs: number }> {
  const ms: number[] = [];
  let cpuMs = 0;
  for (let i = 0; i < steps; i++) {
    const token = argmax(stream.lastLogits!);
    const evictions = stream.counters.evictions;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for await (const _ of stream.feed([token]));
    const wall = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    // A step that evicted is counted with evictions, not as decode latency (sink mode).
    if (skipEvictions && stream.counters.evictions !== evictions) continue;
    ms.push(wall);
    cpuMs += (used.user + used.system) / 1000;
  }
  return { ms, cpuMs: cpuMs / Math.max(1, ms.length) };
}

export async function decodeSection(o: DecodeOptions): Promise<DecodeResult> {
  const decoder = await loadDecoder(o.model, o.threads);
  const tokenizer = new TextTokenizer(o.model);
  const maxPosition = Math.max(...o.positions, ...o.cachedPoints);
  const ids = heldoutIds(tokenizer, maxPosition + o.steps * (o.positions.length + o.cachedPoints.length) + 8);
  const point = (mode: DecodePoint['mode'], position: number, cached: number, t: { ms: number[]; cpuMs: number }): DecodePoint => ({
    mode,
    position,
    cached,
    msPerToken: median(t.ms),
    cpuMsPerToken: t.cpuMs,
    steps: t.ms.length,
  });

  // Against cached tokens: one dense stream (below the window, sink and dense hold the same cache).
  const byCached: DecodePoint[] = [];
  const dense = new Stream(decoder, o.model.arch, { mode: 'dense', sinks: 0, window: 1024, prefillChunk: 256 });
  for (const cached of [...o.cachedPoints].sort((a, b) => a - b)) {
    const have = dense.cache.length;
    if (cached > have) for await (const _ of dense.feed(ids.slice(have, cached)));
    const t = await timeSteps(dense, o.steps, false);
    byCached.push(point('dense', cached, cached, t));
    o.log(`  dense, ${cached} cached: ${byCached.at(-1)!.msPerToken.toFixed(2)} ms/token`);
  }
  dense.reset();

  // Against the position in an endless stream: sink mode, pre-filled in chunks of 256 with evictions.
  const byPosition: DecodePoint[] = [];
  const sink = new Stream(decoder, o.model.arch, { mode: 'sink', sinks: o.sinks, window: o.window, prefillChunk: 256 });
  let at = 0;
  let prefillMs = 0;
  for (const position of [...o.positions].sort((a, b) => a - b)) {
    const t0 = performance.now();
    for await (const _ of sink.feed(ids.slice(at, position)));
    prefillMs += performance.now() - t0;
    at = position;
    const t = await timeSteps(sink, o.steps, true);
    at += o.steps;
    byPosition.push(point('sink', position, sink.cache.length, t));
    o.log(`  sink at ${position}: ${byPosition.at(-1)!.msPerToken.toFixed(2)} ms/token (${sink.cache.length} cached)`);
  }
  const evictions = sink.counters.evictions;
  const meanEvictionMs = sink.counters.totalEvictionMs / Math.max(1, evictions);
  const sinkPrefillTokensPerSec = (Math.max(...o.positions) * 1000) / prefillMs;

  // Recompute: every token re-runs the window. Its cache at position P is the window of tokens
  // before P computed afresh, whatever came earlier, so each point starts from that window.
  for (const position of o.positions) {
    const rec = new Stream(decoder, o.model.arch, { mode: 'recompute', sinks: 0, window: o.window + o.sinks, prefillChunk: 256, evictChunk: 1 });
    const start = Math.max(0, position - rec.windowCapacity);
    for await (const _ of rec.feed(ids.slice(start, position)));
    const t = await timeSteps(rec, o.recomputeSteps, false);
    byPosition.push(point('recompute', position, rec.cache.length, t));
    o.log(`  recompute at ${position}: ${byPosition.at(-1)!.msPerToken.toFixed(1)} ms/token`);
  }
  // Dense against position is dense against cached tokens (nothing is ever evicted).
  for (const p of byCached) if (o.positions.includes(p.cached)) byPosition.push({ ...p });

  await decoder.release();
  const sinkPoints = byPosition.filter((p) => p.mode === 'sink');
  const first = sinkPoints[0];
  const last = sinkPoints.at(-1)!;
  const recFirst = byPosition.find((p) => p.mode === 'recompute' && p.position === first.position)!;
  return {
    threads: { decode: decoder.decodeThreads, prefill: decoder.prefillThreads },
    sinks: o.sinks,
    window: o.window,
    byCached,
    byPosition,
    flatness: { ratio: last.msPerToken / first.msPerToken, from: first.position, to: last.position },
    recomputeOverSink: recFirst.msPerToken / first.msPerToken,
    sinkPrefillTokensPerSec,
    meanEvictionMs,
    evictions,
  };
}
