// One endless token stream with its own cache. A request states the tokens it wants in context;
// the stream keeps the longest prefix of its history that still matches, drops the rest and
// pre-fills only the new tail, one forward pass per step so that a cancel or a more urgent
// request can cut in between steps.
//
// The product streams with `sink` (and `window`, the same eviction without sinks); the
// evaluation-only modes `dense` and `recompute` live in evalStream.ts.
//
// Logical indices count tokens since the stream started. Slots [0, head) hold logical [0, head)
// (sinks and pinned prefix, never evicted); window slot s holds logical windowStart + s - head.
import type { Decoder } from './decoder';
import type { ModelArch } from './modelDir';
import type { CacheMode } from './protocol';
import { checkCacheFits } from './cacheShape';
import { SinkCache } from './sinkCache';

export interface StreamOptions {
  mode: CacheMode;
  /** Sink tokens (sink mode only; window and recompute keep none). */
  sinks: number;
  /** Window tokens (dense mode: the initial capacity). */
  window: number;
  /** Tokens evicted at once when the window is full (at least what the incoming chunk needs). */
  evictChunk?: number;
  /** Most tokens per prefill forward pass. */
  prefillChunk?: number;
}

/** What `Stream.mark` keeps: enough to drop the tokens fed after it. */
export interface StreamMark {
  readonly epoch: number;
  readonly logical: number;
  readonly windowStart: number;
  readonly logits: Float32Array;
}

/** Called with every forward pass's logits when a caller needs all of them (perplexity). */
export type LogitsSink = (logits: Float32Array, rows: number, ids: readonly number[]) => void;

export interface StreamCounters {
  totalTokens: number;
  evictions: number;
  tokensEvicted: number;
  lastEvictionMs: number;
  /** Sum over all evictions, for averages. */
  totalEvictionMs: number;
  prefillTokensPerSec: number;
  decodeTokensPerSec: number;
  lastPrefillMs: number;
}

export class Stream {
  readonly cache: SinkCache;
  readonly sinks: number;
  readonly windowCapacity: number;
  pinned = 0;
  /** Changes whenever the stream starts over, so prompt builders can forget what they placed. */
  epoch = 0;
  /** Logits after the last token fed. */
  lastLogits: Float32Array | null = null;
  counters: StreamCounters = emptyCounters();
  /** Tokens of the last planned request left out because they could not fit the window. */
  clipped = 0;
  protected windowStart = 0;
  /** Logical indices where a message begins (eviction prefers to cut there). */
  private boundaries: number[] = [];
  private readonly evictChunk: number;
  protected readonly prefillChunk: number;

  constructor(
    protected readonly decoder: Decoder,
    arch: ModelArch,
    readonly options: StreamOptions,
  ) {
    const { mode, window } = options;
    this.sinks = mode === 'sink' ? options.sinks : 0;
    if (mode === 'sink' && window <= this.sinks) {
      throw new RangeError(`window (${window}) must be larger than sinks (${this.sinks})`);
    }
    if (!(window > 0)) throw new RangeError(`window must be a positive number of tokens, got ${window}`);
    this.windowCapacity = window;
    checkCacheFits(arch, this.sinks + window);
    this.cache = new SinkCache(arch, this.sinks + window);
    this.evictChunk = Math.max(1, Math.min(options.evictChunk ?? Math.ceil(window / 8), window));
    // A chunk larger than the window would evict the context it was meant to see.
    this.prefillChunk = Math.max(1, Math.min(options.prefillChunk ?? 256, Math.floor(window / 2)));
    this.windowStart = this.sinks;
  }

  get head(): number {
    return this.sinks + this.pinned;
  }

  /** Logical index of the next token. */
  get logicalLength(): number {
    const len = this.cache.length;
    return len < this.head ? len : this.windowStart + len - this.head;
  }

  /** Logical index of the oldest window token. */
  get windowStartIndex(): number {
    return this.windowStart;
  }

  /** Slots the rolling window has once the head (sinks and pinned prefix) is in place. */
  get windowSlots(): number {
    return this.cache.capacity - this.head;
  }

  get windowTokens(): number {
    return Math.max(0, this.cache.length - this.head);
  }

  /** Drops everything; the next feed starts cold. */
  reset(pinned = 0): void {
    this.epoch++;
    this.cache.truncate(0);
    this.pinned = this.options.mode === 'sink' ? pinned : 0;
    this.windowStart = this.head;
    this.boundaries = [];
    this.lastLogits = null;
  }

  resetCounters(): void {
    this.counters = emptyCounters();
  }

  /**
   * Aligns the cache with `tokens`, whose first element is logical index `offset`, and returns
   * what still has to be fed. Tokens that left the window are assumed unchanged. `pinned` is the
   * number of head tokens after the sinks that stay for ever; changing it starts the stream over.
   * With `fitWindow`, a tail longer than the window skips straight to the part that fits.
   * Returns null when the request would have to restate the stream from logical index 0.
   */
  plan(
    tokens: readonly number[],
    offset: number,
    pinned: number,
    fitWindow: boolean,
    boundaries: readonly number[] = [],
  ): number[] | null {
    this.clipped = 0;
    const wantPinned = this.options.mode === 'sink' ? pinned : 0;
    if (wantPinned > this.windowCapacity / 2) {
      throw new RangeError(`the pinned prefix (${wantPinned} tokens) must fit in half the window (${this.windowCapacity})`);
    }
    if (wantPinned !== this.pinned) {
      if (offset !== 0) return null;
      this.reset(wantPinned);
    }
    const have = this.logicalLength;
    if (offset > have) return null;
    const end = offset + tokens.length;
    let match = offset;
    for (; match < Math.min(end, have); match++) {
      const slot = this.slotOf(match);
      if (slot >= 0 && this.cache.tokens[slot] !== tokens[match - offset]) break;
    }
    // Diverging where tokens already left the window cannot be undone by truncation, nor can
    // logits be recomputed for a last token that left: the stream starts over from the request.
    const diverged = match < have && match >= this.head && match < this.windowStart;
    const lastGone = match === end && match > 0 && this.slotOf(match - 1) < 0;
    if (diverged || lastGone) {
      if (offset !== 0) return null;
      this.reset(this.pinned);
      return this.fit(tokens.slice(), fitWindow, boundaries);
    }
    if (match < have) this.truncateTo(match);
    const rest = tokens.slice(match - offset);
    if (rest.length === 0 && this.lastLogits === null && this.cache.length > 0) {
      // Everything is cached but the logits after it are not: run the last token again.
      const last = this.cache.tokens[this.cache.length - 1];
      this.truncateTo(match - 1);
      return [last];
    }
    return this.fit(rest, fitWindow, boundaries);
  }

  /** Keeps logical tokens [0, logical); they must all still be in the cache. */
  private truncateTo(logical: number): void {
    if (logical < this.head) {
      this.cache.truncate(logical);
      this.windowStart = this.head;
    } else this.cache.truncate(this.head + logical - this.windowStart);
    this.boundaries = this.boundaries.filter((b) => b < logical);
    this.lastLogits = null;
  }

  /** A point to come back to: the tokens held now and the logits after them. */
  mark(): StreamMark {
    if (this.lastLogits === null) throw new Error('a stream can be marked only after a forward pass');
    return { epoch: this.epoch, logical: this.logicalLength, windowStart: this.windowStart, logits: this.lastLogits.slice() };
  }

  /**
   * Drops what was fed since `mark`. Those tokens must not have evicted any (`reserve` room for
   * them first): an eviction moves the window under the mark, and the stream starts over rather
   * than hold a cache that no longer matches the mark's logits.
   */
  rewind(mark: StreamMark): void {
    if (mark.epoch !== this.epoch || mark.windowStart !== this.windowStart || mark.logical > this.logicalLength) {
      throw new Error('the stream changed under a mark: reserve room before feeding past it');
    }
    this.truncateTo(mark.logical);
    this.lastLogits = mark.logits.slice();
  }

  /** Evicts now if need be, so that `count` more tokens fit without an eviction; false if the window is too small. */
  async *reserve(count: number): AsyncGenerator<void, boolean, void> {
    if (count > this.windowSlots) return false;
    if (this.cache.free < count) yield* this.makeRoom(count - this.cache.free);
    return true;
  }

  markBoundaries(logical: readonly number[]): void {
    const known = new Set(this.boundaries);
    for (const b of logical) if (b >= this.windowStart && !known.has(b)) this.boundaries.push(b);
    this.boundaries.sort((a, b) => a - b);
  }

  /** Feeds `ids` through the model, one forward pass per step; `lastLogits` follows the last token. */
  async *feed(ids: readonly number[], onLogits?: LogitsSink): AsyncGenerator<void, void, void> {
    let i = 0;
    while (i < ids.length) {
      const n = Math.min(ids.length - i, this.prefillChunk);
      if (this.cache.free < n) yield* this.makeRoom(n - this.cache.free);
      const chunk = ids.slice(i, i + n);
      await this.forward(chunk, onLogits);
      i += n;
      yield;
    }
  }

  private async forward(chunk: number[], onLogits?: LogitsSink): Promise<void> {
    const t0 = performance.now();
    const epoch = this.epoch;
    const result = await this.decoder.run(chunk, this.cache.length, this.cache, onLogits !== undefined);
    // A reset that landed while the pass ran: its K/V belong to a cache that no longer exists.
    if (this.epoch !== epoch) return;
    this.cache.append(chunk, result.keys, result.values);
    const ms = performance.now() - t0;
    const vocab = this.decoder.vocabSize;
    this.lastLogits = result.logits.subarray((result.rows - 1) * vocab, result.rows * vocab);
    if (onLogits) onLogits(result.logits, result.rows, chunk);
    this.counters.totalTokens += chunk.length;
    const rate = (chunk.length * 1000) / Math.max(ms, 1e-3);
    if (chunk.length === 1) this.counters.decodeTokensPerSec = smooth(this.counters.decodeTokensPerSec, rate);
    else {
      this.counters.prefillTokensPerSec = smooth(this.counters.prefillTokensPerSec, rate);
      this.counters.lastPrefillMs = ms;
    }
  }

  /** Frees at least `needed` window slots: evicts the oldest window tokens and re-rotates the rest. */
  protected async *makeRoom(needed: number): AsyncGenerator<void, void, void> {
    const count = this.chooseEviction(needed);
    const ms = this.cache.evict(this.head, count);
    this.windowStart += count;
    this.noteEviction(count, ms);
  }

  protected noteEviction(count: number, ms: number): void {
    this.counters.evictions++;
    this.counters.tokensEvicted += count;
    this.counters.lastEvictionMs = ms;
    this.counters.totalEvictionMs += ms;
    this.boundaries = this.boundaries.filter((b) => b >= this.windowStart);
  }

  /** How many of the oldest window tokens to evict: a chunk, ending at a message boundary when one is near. */
  protected chooseEviction(needed: number): number {
    const inWindow = this.windowTokens;
    const target = Math.min(inWindow, Math.max(needed, this.evictChunk));
    const reach = Math.min(inWindow, Math.max(target, Math.floor(this.windowSlots / 2)));
    let below = -1;
    for (const b of this.boundaries) {
      const cut = b - this.windowStart;
      if (cut < needed) continue;
      if (cut >= target && cut <= reach) return cut;
      if (cut < target) below = cut;
    }
    return below > 0 ? below : target;
  }

  /** Slot of logical token `i`, or -1 if it left the window. */
  private slotOf(i: number): number {
    if (i < this.head) return i;
    if (i < this.windowStart) return -1;
    return this.head + i - this.windowStart;
  }

  /**
   * When the tail to feed is longer than the window, the window would turn over before those
   * tokens were ever used: start the window afresh at the part of the tail that fits.
   */
  private fit(rest: number[], fitWindow: boolean, boundaries: readonly number[]): number[] {
    if (!fitWindow) return rest;
    const start = this.logicalLength;
    const headLeft = Math.max(0, this.head - start);
    const body = rest.length - headLeft;
    const room = Math.floor((this.windowSlots * 3) / 4);
    if (body <= room) return rest;
    if (this.cache.length > this.head) {
      this.cache.truncate(this.head);
      this.lastLogits = null;
    }
    // Start the window at a message boundary when one is close after the cut.
    let first = start + headLeft + (body - room);
    const snap = boundaries.find((b) => b >= first && b - first < room / 8);
    if (snap !== undefined) first = snap;
    this.windowStart = first;
    this.clipped = first - start - headLeft;
    this.boundaries = this.boundaries.filter((b) => b >= first);
    return rest.slice(0, headLeft).concat(rest.slice(first - start));
  }
}

function emptyCounters(): StreamCounters {
  return { totalTokens: 0, evictions: 0, tokensEvicted: 0, lastEvictionMs: 0, totalEvictionMs: 0, prefillTokensPerSec: 0, decodeTokensPerSec: 0, lastPrefillMs: 0 };
}

function smooth(previous: number, next: number): number {
  return previous === 0 ? next : previous * 0.7 + next * 0.3;
}
