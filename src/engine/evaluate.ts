// Evaluations over the same cache machinery the product uses: perplexity of a long text in any
// cache mode, and the cache check that proves eviction and re-rotation right for a model.
import type { Decoder } from './decoder';
import type { KvType } from './graphInterface';
import type { ModelArch } from './modelDir';
import type { CacheMode } from './protocol';
import { logSumExp } from './sampler';
import { SinkCache } from './sinkCache';
import { openStream } from './evalStream';
import { Stream } from './stream';

export interface PerplexityReport {
  mode: CacheMode;
  sinks: number;
  window: number;
  tokens: number;
  perplexity: number;
  /** Perplexity of each consecutive segment of `segmentTokens` predicted tokens. */
  segments: number[];
  segmentTokens: number;
  seconds: number;
}

export interface EvalSetup {
  decoder: Decoder;
  arch: ModelArch;
  mode: CacheMode;
  sinks: number;
  window: number;
  evictChunk?: number;
  prefillChunk?: number;
}

/**
 * Streams a text's ids through a fresh stream and scores every next-token prediction. The ids
 * may come in pieces (a file read a piece at a time): only the current piece and one row of
 * logits are held, so memory does not grow with the text.
 */
export async function perplexity(
  setup: EvalSetup,
  ids: readonly number[] | AsyncIterable<readonly number[]>,
  segmentTokens = 1024,
  /** Hears the tokens scored so far and the perplexity over them, after every forward pass. */
  onProgress: (scored: number, perplexity: number) => void = () => {},
): Promise<PerplexityReport> {
  const t0 = performance.now();
  // Small chunks keep every prediction close to a full window of context, as token-by-token
  // streaming would; the eviction chunk matches so the window never drops below 7/8 full.
  const chunk = Math.max(1, Math.ceil(setup.window / 16));
  const stream = openStream(setup.decoder, setup.arch, {
    ...setup,
    prefillChunk: setup.prefillChunk ?? chunk,
    evictChunk: setup.evictChunk ?? chunk,
  });
  const vocab = setup.decoder.vocabSize;
  let tokens = 0;
  let total = 0;
  let count = 0;
  let segmentSum = 0;
  let segmentCount = 0;
  const segments: number[] = [];
  const score = (logits: Float32Array, row: number, target: number) => {
    const base = row * vocab;
    const nll = logSumExp(logits, base, base + vocab) - logits[base + target];
    total += nll;
    count++;
    segmentSum += nll;
    if (++segmentCount === segmentTokens) {
      segments.push(Math.exp(segmentSum / segmentCount));
      segmentSum = 0;
      segmentCount = 0;
    }
  };
  /** The last token's logits, waiting for the first id of the next piece. */
  let pending: Float32Array | null = null;
  const pieces = isIdArray(ids) ? [ids] : ids;
  for await (const piece of pieces) {
    if (piece.length === 0) continue;
    if (pending) score(pending, 0, piece[0]);
    pending = null;
    let position = 0;
    const onLogits = (logits: Float32Array, rows: number) => {
      for (let r = 0; r < rows; r++) {
        const target = position + r + 1;
        if (target < piece.length) score(logits, r, piece[target]);
        else pending = logits.slice(r * vocab, (r + 1) * vocab);
      }
      position += rows;
    };
    for await (const _ of stream.feed(piece, onLogits)) onProgress(count, Math.exp(total / Math.max(1, count)));
    tokens += piece.length;
  }
  if (count === 0) throw new RangeError('perplexity needs a text of at least two tokens');
  if (segmentCount > 0) segments.push(Math.exp(segmentSum / segmentCount));
  return {
    mode: setup.mode,
    sinks: stream.sinks,
    window: setup.window,
    tokens,
    perplexity: Math.exp(total / count),
    segments,
    segmentTokens,
    seconds: (performance.now() - t0) / 1000,
  };
}

function isIdArray(ids: readonly number[] | AsyncIterable<readonly number[]>): ids is readonly number[] {
  return Array.isArray(ids);
}

export interface CacheCheck {
  /** Tokens streamed when the check ran. */
  streamed: number;
  cached: number;
  evictions: number;
  /** Largest |difference| of the next-token logits: streamed cache vs a cold prefill of the cached tokens. */
  logitsDiff: number;
  /** Largest |difference| of layer-0 keys and values (context-free, so exact up to rounding). */
  layer0KvDiff: number;
  /** Largest |value| among the cold prefill's layer-0 keys and values (sets the float16 rounding bound). */
  layer0Scale: number;
}

export interface CacheCheckReport {
  sinks: number;
  window: number;
  checks: CacheCheck[];
  maxLogitsDiff: number;
  maxLayer0KvDiff: number;
  /**
   * Window mode (no sinks) with re-rotation vs the same window whose keys keep their original
   * positions: attention depends only on relative positions, so every layer and the logits must
   * agree to rounding. Null when the graph takes no position ids.
   */
  windowShiftLogitsDiff: number | null;
  /**
   * The same comparison between two references one position apart (no rotation involved): the
   * graph's own noise. Quantised graphs that compute in int8 make it large; a correct rotation
   * stays within it, a wrong one lands far outside.
   */
  windowShiftNoise: number | null;
  /** Element type of the graph's K/V: float16 graphs round every K/V they hand over. */
  kvType: KvType;
  /** Bound on maxLayer0KvDiff: 1e-3, or for float16 K/V four units in the last place of the largest value. */
  layer0Tolerance: number;
  /** Bound on windowShiftLogitsDiff: a few times the graph's own noise, at least 1e-3. */
  windowShiftTolerance: number | null;
}

/** Whether a report proves the cache right: layer 0 exact to the K/V's rounding, and every layer within the graph's noise. */
export function cacheCheckPassed(report: CacheCheckReport): boolean {
  const shift = report.windowShiftLogitsDiff;
  const shiftOk = shift === null || shift <= report.windowShiftTolerance!;
  return report.maxLayer0KvDiff <= report.layer0Tolerance && shiftOk;
}

/**
 * Streams `ids` in sink mode and, after evictions, compares the cache with a from-scratch
 * prefill of exactly the cached tokens at positions 0..n−1. Layer 0's keys and values depend
 * only on the token and its position, so they must agree to rounding: that proves the slots
 * hold the right tokens and the kept keys were rotated to exactly their new positions. Deeper
 * layers (and so the logits) also carry what kept tokens once saw of evicted ones; their
 * difference is reported, and is what a trained model's reliance on that context costs.
 */
export async function checkCache(setup: EvalSetup, ids: readonly number[], maxChecks = 8): Promise<CacheCheckReport> {
  const stream = new Stream(setup.decoder, setup.arch, { ...setup, mode: 'sink' });
  const piece = Math.max(1, Math.floor(setup.window / 3) + 1);
  // The shift check uses a window of its own, small enough to turn over many times within the
  // positions where it is precise.
  const shiftWindow = Math.min(setup.window, 256);
  const shifted = setup.decoder.takesPositions ? new ShiftCheck(setup, shiftWindow) : null;
  // Checks spread evenly over the part of the text that streams through a full cache.
  const spacing = Math.max(piece, Math.floor((ids.length - stream.cache.capacity) / maxChecks));
  const checks: CacheCheck[] = [];
  let windowShiftLogitsDiff = 0;
  let streamed = 0;
  let nextCheck = 0;
  for (let i = 0; i < ids.length; i += piece) {
    const chunk = ids.slice(i, i + piece);
    for await (const _ of stream.feed(chunk));
    // The reference runs at text positions; past a couple of thousand, float32 angles in the
    // graph lose the precision the comparison needs, so it stops there.
    if (shifted) {
      for (let j = 0; j < chunk.length; j += shifted.piece) {
        const part = chunk.slice(j, j + shifted.piece);
        if (i + j + part.length > Math.min(2048, setup.arch.maxPositionEmbeddings)) break;
        windowShiftLogitsDiff = Math.max(windowShiftLogitsDiff, await shifted.feed(part));
      }
    }
    streamed += chunk.length;
    const evictions = stream.counters.evictions;
    if (evictions > 0 && streamed >= nextCheck && checks.length < maxChecks) {
      nextCheck = streamed + spacing;
      checks.push({ streamed, evictions, ...(await compareWithColdPrefill(setup, stream)) });
    }
  }
  if (checks.length === 0) {
    throw new RangeError(
      `the text (${ids.length} tokens) never filled the cache (${stream.cache.capacity} slots): use a longer text or a smaller window`,
    );
  }
  const kvType = setup.decoder.kvType;
  // float16 keeps 11 significant bits: a stored K/V is off by up to half a unit in the last
  // place of its binade (2^-11 of its size), and the graph's float16 arithmetic adds a little;
  // 2^-8 of the largest value allows four such units. The shift check compares logits that two
  // runs computed in float16, so it gets twice the noise margin of float32 graphs.
  const scale = checks.reduce((max, c) => Math.max(max, c.layer0Scale), 0);
  const noise = shifted && shifted.evicted > 0 ? shifted.noise : null;
  return {
    sinks: stream.sinks,
    window: setup.window,
    checks,
    maxLogitsDiff: checks.reduce((max, c) => Math.max(max, c.logitsDiff), 0),
    maxLayer0KvDiff: checks.reduce((max, c) => Math.max(max, c.layer0KvDiff), 0),
    windowShiftLogitsDiff: noise !== null ? windowShiftLogitsDiff : null,
    windowShiftNoise: noise,
    kvType,
    layer0Tolerance: kvType === 'float16' ? Math.max(1e-3, scale * 2 ** -8) : 1e-3,
    windowShiftTolerance: noise === null ? null : Math.max(1e-3, (kvType === 'float16' ? 4 : 2) * noise),
  };
}

/**
 * Streams the same chunks through a window-mode stream (evicting and re-rotating) and through
 * a reference that evicts the same tokens but never rotates, running each token at its
 * position in the text instead of its slot.
 */
class ShiftCheck {
  readonly piece: number;
  evicted = 0;
  /** Largest logits difference between the two references (the noise floor). */
  noise = 0;
  private readonly stream: Stream;
  /** Two references, one token position apart: mathematically the same logits. */
  private readonly references: SinkCache[];
  private readonly evictChunk: number;

  constructor(
    private readonly setup: EvalSetup,
    window: number,
  ) {
    this.piece = Math.max(1, Math.floor(window / 3) + 1);
    this.evictChunk = Math.max(1, Math.ceil(window / 8));
    this.stream = new Stream(setup.decoder, setup.arch, {
      mode: 'window',
      sinks: 0,
      window,
      prefillChunk: this.piece,
      evictChunk: this.evictChunk,
    });
    this.references = [new SinkCache(setup.arch, window), new SinkCache(setup.arch, window)];
  }

  /** Feeds one chunk (a single forward pass) to all three; returns the stream's largest difference from the reference. */
  async feed(chunk: number[]): Promise<number> {
    for await (const _ of this.stream.feed(chunk));
    const evict = (cache: SinkCache) => {
      const count = Math.min(cache.length, Math.max(chunk.length - cache.free, this.evictChunk));
      cache.evict(0, count, false);
      return count;
    };
    if (this.references[0].free < chunk.length) {
      this.evicted += evict(this.references[0]);
      evict(this.references[1]);
    }
    const logits: Float32Array[] = [];
    for (const [shift, cache] of this.references.entries()) {
      const result = await this.setup.decoder.run(chunk, this.evicted + cache.length + shift, cache, false);
      cache.append(chunk, result.keys, result.values);
      logits.push(result.logits);
    }
    const cache = this.references[0];
    for (let i = 0; i < cache.length; i++) {
      if (cache.tokens[i] !== this.stream.cache.tokens[i]) throw new Error('the window check lost step with the stream it checks');
    }
    const vocab = this.setup.decoder.vocabSize;
    this.noise = Math.max(this.noise, maxAbsDiff(logits[0], logits[1], vocab));
    return maxAbsDiff(this.stream.lastLogits!, logits[0], vocab);
  }
}

async function compareWithColdPrefill(
  setup: EvalSetup,
  stream: Stream,
): Promise<Omit<CacheCheck, 'streamed' | 'evictions'>> {
  const n = stream.cache.length;
  const tokens = Array.from(stream.cache.tokens.subarray(0, n));
  const cold = new SinkCache(setup.arch, n);
  const chunkSize = setup.prefillChunk ?? 256;
  let logits: Float32Array | null = null;
  for (let i = 0; i < n; i += chunkSize) {
    const chunk = tokens.slice(i, i + chunkSize);
    const result = await setup.decoder.run(chunk, cold.length, cold, false);
    cold.append(chunk, result.keys, result.values);
    logits = result.logits;
  }
  const floats = n * setup.arch.kvHeads * setup.arch.headDim;
  return {
    cached: n,
    logitsDiff: maxAbsDiff(stream.lastLogits!, logits!, logits!.length),
    layer0KvDiff: Math.max(
      maxAbsDiff(stream.cache.keys[0], cold.keys[0], floats),
      maxAbsDiff(stream.cache.values[0], cold.values[0], floats),
    ),
    layer0Scale: Math.max(maxAbs(cold.keys[0], floats), maxAbs(cold.values[0], floats)),
  };
}

function maxAbs(a: Float32Array, length: number): number {
  let max = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, length: number): number {
  let max = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
