// The engine behind the worker and the CLI: a loaded model, its two streams, and request
// bodies written as step generators (one forward pass per step) for the scheduler.
import { availableParallelism } from 'node:os';
import { DEFAULT_SETTINGS } from '../config/settings';
import { ChatPrompt } from './chatPrompt';
import { Decoder } from './decoder';
import { EditorPrompt, type EditorTarget } from './editorPrompt';
import { checkCacheShape, checkTrainedPositions } from './cacheShape';
import { EngineInputError } from './errors';
import { generate } from './generate';
import { loadModelDir, type ModelDir } from './modelDir';
import type {
  CacheMode,
  ChatMessage,
  EditorContext,
  EngineConfig,
  EngineStats,
  FinishReason,
  GenerateOptions,
  ModelInfo,
  StreamId,
  StreamStats,
} from './protocol';
import type { JobProgress } from './scheduler';
import { StopCriteria } from './stopCriteria';
import { Stream } from './stream';
import { TextTokenizer } from './tokenizer';

export interface EngineSetup extends EngineConfig {
  /** Cache mode of both streams (the product uses `sink`). */
  mode?: CacheMode;
  evictChunk?: number;
  prefillChunk?: number;
}

/**
 * Opens the model's session(s). An explicit thread count is used as given. With 0 the engine
 * measures one and two threads for decode and for prefill on this machine and this model over
 * `cachedTokens` of context (the streams' capacity), and takes two only where they are clearly faster.
 */
export async function loadDecoder(model: ModelDir, threads: number, cachedTokens = DEFAULT_TUNING_DEPTH): Promise<Decoder> {
  if (threads > 0) return Decoder.load(model.onnxPath, model.arch, { threads });
  if (availableParallelism() < 2) return Decoder.load(model.onnxPath, model.arch, { threads: 1 });
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1, prefillThreads: 2 });
  await decoder.tuneThreads(Math.min(cachedTokens, model.arch.maxPositionEmbeddings - 64));
  return decoder;
}

/** Cache depth the thread choice is measured at when the caller does not say: the default capacity's. */
const DEFAULT_TUNING_DEPTH = DEFAULT_SETTINGS.sinkTokens + DEFAULT_SETTINGS.windowTokens;

export function newProgress(): JobProgress {
  return { text: '', promptTokens: 0, prefilledTokens: 0, generatedTokens: 0, firstTokenAt: 0 };
}

export class Engine {
  readonly streams: Record<StreamId, Stream>;
  readonly info: ModelInfo;
  private readonly chatPrompt: ChatPrompt;
  private readonly editorPrompt: EditorPrompt;
  private readonly lastLatency: Record<StreamId, number> = { chat: 0, editor: 0 };
  private readonly startedAt = performance.now();

  /** Slots of each stream held by its pinned prefix, on top of the rolling window. */
  private readonly pinnedSlots: Record<StreamId, number>;

  private constructor(
    readonly model: ModelDir,
    readonly tokenizer: TextTokenizer,
    readonly decoder: Decoder,
    readonly setup: EngineSetup,
    chatPrompt: ChatPrompt,
    chatPinned: number,
  ) {
    const options = {
      mode: setup.mode ?? 'sink',
      sinks: setup.sinks,
      window: setup.window,
      evictChunk: setup.evictChunk,
      prefillChunk: setup.prefillChunk,
    };
    // Capacity = sinks + pinned + window: the pinned system prompt gets slots of its own, so the
    // rolling window of the chat stream holds as many tokens as the window setting says.
    this.pinnedSlots = { chat: chatPinned, editor: 0 };
    this.streams = {
      chat: new Stream(decoder, model.arch, { ...options, window: setup.window + chatPinned }),
      editor: new Stream(decoder, model.arch, options),
    };
    this.chatPrompt = chatPrompt;
    this.editorPrompt = new EditorPrompt(tokenizer);
    this.info = {
      name: model.name,
      dir: model.dir,
      interface: decoder.kind,
      layers: model.arch.layers,
      kvHeads: model.arch.kvHeads,
      headDim: model.arch.headDim,
      vocabSize: model.arch.vocabSize,
      maxPositionEmbeddings: model.arch.maxPositionEmbeddings,
      hasFim: this.editorPrompt.hasFim,
      decodeThreads: decoder.decodeThreads,
      prefillThreads: decoder.prefillThreads,
    };
  }

  static async load(setup: EngineSetup): Promise<Engine> {
    const mode = setup.mode ?? 'sink';
    checkCacheShape({ mode, sinks: setup.sinks, window: setup.window });
    const model = loadModelDir(setup.modelDir);
    const tokenizer = new TextTokenizer(model);
    const chatPrompt = new ChatPrompt(tokenizer, model.tokenizerConfig);
    const pinned = mode === 'sink' ? pinnedLength(chatPrompt, setup) : 0;
    checkTrainedPositions(model.arch, model.dir, { mode, sinks: setup.sinks, window: setup.window, pinned });
    const decoder = await loadDecoder(model, setup.threads, setup.sinks + pinned + setup.window);
    return new Engine(model, tokenizer, decoder, setup, chatPrompt, pinned);
  }

  /** Chat: aligns the chat stream with the transcript, pre-fills what it lacks, generates the reply. */
  async *chat(
    messages: readonly ChatMessage[],
    options: GenerateOptions,
    progress: JobProgress,
    onText: (t: string) => void,
  ): AsyncGenerator<void, FinishReason, void> {
    const t0 = performance.now();
    if (messages.length === 0) throw new EngineInputError('a chat request needs at least one message');
    const stream = this.streams.chat;
    const sequence = this.chatPrompt.build(this.setup.pinnedSystemPrompt, messages);
    const pinned = this.setup.pinnedSystemPrompt && sequence.headEnd > stream.sinks ? sequence.headEnd - stream.sinks : 0;
    const feed = stream.plan(sequence.tokens, 0, pinned, true, sequence.boundaries) ?? [];
    stream.markBoundaries(sequence.boundaries);
    progress.promptTokens = sequence.tokens.length;
    progress.prefilledTokens = feed.length;
    progress.clipped = stream.clipped;
    if (!(yield* feedWithin(stream, feed, deadline(options, t0)))) return 'time';
    const eos = this.tokenizer.special.eos;
    const reason = yield* this.generateInto(stream, eos, options, progress, onText, t0);
    this.lastLatency.chat = performance.now() - t0;
    return reason;
  }

  /** Editor feed: pre-fills the editor stream with the context; no generation. */
  async *feed(context: EditorContext, progress: JobProgress): AsyncGenerator<void, FinishReason, void> {
    const t0 = performance.now();
    yield* this.fillEditor(context, progress, Infinity);
    this.lastLatency.editor = performance.now() - t0;
    return 'length';
  }

  /** Completion at the cursor: FIM (suffix first) or plain prefix, then generation. */
  async *complete(
    context: EditorContext,
    options: GenerateOptions,
    progress: JobProgress,
    onText: (t: string) => void,
  ): AsyncGenerator<void, FinishReason, void> {
    const t0 = performance.now();
    if (!(yield* this.fillEditor(context, progress, deadline(options, t0)))) return 'time';
    const s = this.tokenizer.special;
    const eos = [...s.eos, s.fileSep, s.fimPrefix, s.fimSuffix, s.fimMiddle, s.imStart].filter((id): id is number => id !== undefined);
    const reason = yield* this.generateInto(this.streams.editor, eos, options, progress, onText, t0);
    this.lastLatency.editor = performance.now() - t0;
    return reason;
  }

  reset(stream?: StreamId): void {
    for (const id of stream ? [stream] : (['chat', 'editor'] as const)) {
      this.streams[id].reset();
      this.streams[id].resetCounters();
    }
  }

  stats(): EngineStats {
    return {
      model: this.info.name,
      streams: { chat: this.streamStats('chat'), editor: this.streamStats('editor') },
      rssBytes: process.memoryUsage().rss,
      uptimeMs: performance.now() - this.startedAt,
    };
  }

  async dispose(): Promise<void> {
    await this.decoder.release();
  }

  /** Aligns the editor stream with `context` and pre-fills it; false if the deadline passed first. */
  private async *fillEditor(context: EditorContext, progress: JobProgress, until: number): AsyncGenerator<void, boolean, void> {
    const stream = this.streams.editor;
    const targetFor = (): EditorTarget =>
      this.editorPrompt.target(context, stream.epoch, stream.windowStartIndex, stream.logicalLength);
    let target = targetFor();
    let feed = stream.plan(target.tokens, target.offset, 0, true, target.boundaries);
    if (feed === null) {
      // The request cannot be aligned with what the stream holds: start the stream over.
      stream.reset();
      target = targetFor();
      feed = stream.plan(target.tokens, target.offset, 0, true, target.boundaries) ?? [];
    }
    stream.markBoundaries(target.boundaries);
    progress.promptTokens = target.tokens.length;
    progress.prefilledTokens = feed.length;
    progress.clipped = stream.clipped;
    if (!(yield* feedWithin(stream, feed, until))) return false;
    this.editorPrompt.commit(target);
    return true;
  }

  private async *generateInto(
    stream: Stream,
    eos: number[],
    options: GenerateOptions,
    progress: JobProgress,
    onText: (t: string) => void,
    t0: number,
  ): AsyncGenerator<void, FinishReason, void> {
    const criteria = new StopCriteria(options.ignoreEos ? [] : eos, options.maxTokens, options.timeBudgetMs, t0);
    const sampling = {
      temperature: options.temperature,
      topK: options.topK,
      topP: options.topP,
      repetitionPenalty: options.repetitionPenalty,
      seed: options.seed,
    };
    const result = yield* generate(stream, this.tokenizer, sampling, options.stop, criteria, (piece, generated, firstAt) => {
      progress.generatedTokens = generated;
      progress.firstTokenAt = firstAt;
      if (!piece) return;
      progress.text += piece;
      onText(piece);
    });
    progress.generatedTokens = result.ids.length;
    progress.firstTokenAt = result.firstTokenAt;
    progress.text = result.text;
    if (stream === this.streams.chat && (result.reason === 'eos' || result.reason === 'length')) {
      this.chatPrompt.rememberReply(result.text, result.ids);
    }
    return result.reason;
  }

  private streamStats(id: StreamId): StreamStats {
    const stream = this.streams[id];
    const length = stream.cache.length;
    const sinks = Math.min(stream.sinks, length);
    const c = stream.counters;
    return {
      stream: id,
      mode: stream.options.mode,
      capacity: stream.cache.capacity,
      sinks,
      pinned: Math.min(stream.pinned, length - sinks),
      window: stream.windowTokens,
      windowCapacity: stream.windowCapacity - this.pinnedSlots[id],
      free: stream.cache.free,
      totalTokens: c.totalTokens,
      evictions: c.evictions,
      tokensEvicted: c.tokensEvicted,
      lastEvictionMs: c.lastEvictionMs,
      prefillTokensPerSec: c.prefillTokensPerSec,
      decodeTokensPerSec: c.decodeTokensPerSec,
      lastPrefillMs: c.lastPrefillMs,
      lastRequestLatencyMs: this.lastLatency[id],
    };
  }
}

function deadline(options: GenerateOptions, t0: number): number {
  return options.timeBudgetMs > 0 ? t0 + options.timeBudgetMs : Infinity;
}

/** Pre-fills step by step; stops (returning false) once `until` has passed. */
async function* feedWithin(stream: Stream, ids: readonly number[], until: number): AsyncGenerator<void, boolean, void> {
  const steps = stream.feed(ids);
  for (;;) {
    if (performance.now() >= until) {
      await steps.return();
      return false;
    }
    if ((await steps.next()).done) return true;
    yield;
  }
}

/** Tokens the pinned system prompt takes after the sinks (0 when there is none). */
function pinnedLength(chatPrompt: ChatPrompt, setup: EngineSetup): number {
  if (!setup.pinnedSystemPrompt) return 0;
  const { headEnd } = chatPrompt.build(setup.pinnedSystemPrompt, [{ role: 'user', content: '' }]);
  return Math.max(0, headEnd - setup.sinks);
}
