// The engine behind the worker and the CLI: a loaded model, its two streams, and request
// bodies written as step generators (one forward pass per step) for the scheduler.
import { availableParallelism } from 'node:os';
import { checkCacheShape, checkTrainedPositions, MIN_WINDOW } from './cacheShape';
import { ChatOutOfStepError, ChatPrompt } from './chatPrompt';
import { Decoder } from './decoder';
import { CACHE_DEFAULTS, defaultWindow, EDITOR_CONTEXT } from './defaults';
import { EditorPrompt, type EditorTarget } from './editorPrompt';
import { EngineInputError } from './errors';
import { generate } from './generate';
import { LineReader } from './lineFit';
import type { LineSearchOptions } from './lineSearch';
import { loadModelDir, type ModelDir } from './modelDir';
import type {
  CacheMode,
  ChatTurn,
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
export async function loadDecoder(
  model: ModelDir,
  threads: number,
  cachedTokens = DEFAULT_TUNING_DEPTH,
  stopped: () => boolean = () => false,
): Promise<Decoder> {
  if (threads > 0) return Decoder.load(model.onnxPath, model.arch, { threads });
  if (availableParallelism() < 2) return Decoder.load(model.onnxPath, model.arch, { threads: 1 });
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1, prefillThreads: 2 });
  // Measuring threads takes seconds of native calls: a stop asked for meanwhile skips it.
  if (!stopped()) await decoder.tuneThreads(Math.min(cachedTokens, model.arch.maxPositionEmbeddings - 64));
  return decoder;
}

/** Cache depth the thread choice is measured at when the caller does not say: the default capacity's. */
const DEFAULT_TUNING_DEPTH = CACHE_DEFAULTS.sinks + CACHE_DEFAULTS.window;

/** A load given up because the engine was asked to stop between two of its steps. */
export class LoadStoppedError extends Error {
  override name = 'LoadStoppedError';
}

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
  /** The system prompt pinned in the chat stream, and the slots it takes after the sinks. */
  private system: string;
  private chatPinned: number;
  /** Window tokens of the chat stream (the editor stream's, or less where the pinned prompt needs room). */
  private chatWindow: number;
  private reader: LineReader | undefined;

  private constructor(
    readonly model: ModelDir,
    readonly tokenizer: TextTokenizer,
    readonly decoder: Decoder,
    readonly setup: EngineSetup,
    chatPrompt: ChatPrompt,
    shape: CacheShape,
  ) {
    this.system = setup.pinnedSystemPrompt;
    this.chatPinned = shape.pinned;
    this.chatWindow = shape.chatWindow;
    this.streams = {
      chat: this.newChatStream(),
      editor: new Stream(decoder, model.arch, this.streamOptions(shape.window)),
    };
    this.chatPrompt = chatPrompt;
    this.editorPrompt = new EditorPrompt(tokenizer, model.arch.modelType, Math.floor(shape.window * EDITOR_CONTEXT.suffixTokenShare));
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
      window: shape.window,
      notices: this.editorPrompt.hasFim ? shape.notices : [...shape.notices, NO_FIM_NOTICE],
    };
  }

  /**
   * Loads the model in steps; `stopped` is checked between the native calls, so a shutdown
   * asked for during a load waits for one call at most, not for the whole load.
   */
  static async load(setup: EngineSetup, stopped: () => boolean = () => false): Promise<Engine> {
    checkSetup(setup);
    const model = loadModelDir(setup.modelDir);
    const tokenizer = new TextTokenizer(model);
    const chatPrompt = new ChatPrompt(tokenizer, model.tokenizerConfig);
    const shape = cacheShape(model, setup, setup.mode === undefined || setup.mode === 'sink' ? pinnedLength(chatPrompt, setup.pinnedSystemPrompt, setup.sinks) : 0);
    if (stopped()) throw new LoadStoppedError('the engine stopped before its model was loaded');
    const decoder = await loadDecoder(model, setup.threads, setup.sinks + shape.pinned + shape.chatWindow, stopped);
    if (stopped()) {
      await decoder.release();
      throw new LoadStoppedError('the engine stopped before its model was loaded');
    }
    return new Engine(model, tokenizer, decoder, setup, chatPrompt, shape);
  }

  /**
   * Pins another system prompt in the chat stream: the chat stream starts over, the model stays
   * loaded. Returns notices for the user (a window clamped to make room).
   */
  setPinnedPrompt(prompt: string): string[] {
    const sink = (this.setup.mode ?? 'sink') === 'sink';
    const shape = cacheShape(this.model, { ...this.setup, pinnedSystemPrompt: prompt }, sink ? pinnedLength(this.chatPrompt, prompt, this.setup.sinks) : 0);
    this.system = prompt;
    this.chatPinned = shape.pinned;
    this.chatWindow = shape.chatWindow;
    this.streams.chat = this.newChatStream();
    this.chatPrompt.forget();
    return shape.notices;
  }

  private streamOptions(window: number) {
    return {
      mode: this.setup.mode ?? 'sink',
      sinks: this.setup.sinks,
      window,
      evictChunk: this.setup.evictChunk,
      prefillChunk: this.setup.prefillChunk,
    };
  }

  /**
   * Reads the code above the cursor in the plain layout to score a completion's candidate first
   * lines (lineFit.ts), on a stream of the editor stream's size made at the first feed or
   * completion.
   */
  private lineReader(): LineReader {
    this.reader ??= new LineReader(new Stream(this.decoder, this.model.arch, this.streamOptions(this.streams.editor.options.window)), this.tokenizer);
    return this.reader;
  }

  /**
   * Capacity = sinks + pinned + window: the pinned system prompt gets slots of its own, so the
   * rolling window of the chat stream holds as many tokens as the window says.
   */
  private newChatStream(): Stream {
    return new Stream(this.decoder, this.model.arch, this.streamOptions(this.chatWindow + this.chatPinned));
  }

  /**
   * Chat: adds the turn's new messages to the chat stream (pre-filling only what it lacks) and
   * generates the reply. A turn with `after` null starts the chat stream over.
   */
  async *chat(turn: ChatTurn, options: GenerateOptions, progress: JobProgress, onText: (t: string) => void): AsyncGenerator<void, FinishReason, void> {
    const t0 = performance.now();
    const stream = this.streams.chat;
    if (turn.after === null) stream.reset(this.chatPinned);
    const target = this.chatPrompt.target(this.system, turn, stream.epoch, stream.windowStartIndex, stream.logicalLength);
    progress.chatHeld = this.chatPrompt.lastHeld();
    const pinned = turn.after === null && this.system && target.headEnd > stream.sinks ? target.headEnd - stream.sinks : stream.pinned;
    const feed = stream.plan(target.tokens, target.offset, pinned, true, target.boundaries);
    if (feed === null) throw new ChatOutOfStepError(`the chat stream cannot continue after message ${turn.after}; send the turn again from the start`);
    stream.markBoundaries(target.boundaries);
    progress.promptTokens = target.tokens.length;
    progress.prefilledTokens = feed.length;
    progress.clipped = stream.clipped;
    if (!(yield* feedWithin(stream, feed, deadline(options, t0)))) return 'time';
    progress.chatHeld = this.chatPrompt.commit(target, stream.windowStartIndex);
    const eos = this.tokenizer.special.eos;
    const reason = yield* this.generateInto(stream, eos, options, progress, onText, t0);
    this.lastLatency.chat = performance.now() - t0;
    return reason;
  }

  /** Editor feed: pre-fills the editor stream with the context; no generation. */
  async *feed(context: EditorContext, progress: JobProgress): AsyncGenerator<void, FinishReason, void> {
    const t0 = performance.now();
    yield* this.fillEditor(context, progress, Infinity);
    // Completions weigh their first line with this reading (lineFit.ts): read ahead of them too.
    yield* this.lineReader().align(context);
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
    const fim = this.editorPrompt.fim;
    const markers = fim ? [fim.prefix, fim.suffix, fim.middle, ...fim.stops] : [];
    const eos = [...s.eos, s.fileSep, ...markers, s.imStart].filter((id): id is number => id !== undefined);
    const fit = () => this.lineReader().open(context, options.maxTokens);
    const reason = yield* this.generateInto(this.streams.editor, eos, options, progress, onText, t0, fit);
    this.lastLatency.editor = performance.now() - t0;
    return reason;
  }

  reset(stream?: StreamId): void {
    for (const id of stream ? [stream] : (['chat', 'editor'] as const)) {
      this.streams[id].reset();
      this.streams[id].resetCounters();
    }
    if (stream !== 'chat') this.reader?.reset();
    if (stream !== 'editor') this.chatPrompt.forget();
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
    fit?: LineSearchOptions['fit'],
  ): AsyncGenerator<void, FinishReason, void> {
    const criteria = new StopCriteria(options.ignoreEos ? [] : eos, options.maxTokens, options.timeBudgetMs, t0);
    const sampling = {
      temperature: options.temperature,
      topK: options.topK,
      topP: options.topP,
      repetitionPenalty: options.repetitionPenalty,
      seed: options.seed,
    };
    const lineSearch: LineSearchOptions = {
      candidates: options.lineCandidates ?? 1,
      unwanted: new Set(options.unwantedLines?.map((line) => line.trim())),
      weighBelow: options.weighFirstLineBelow ?? 0,
      fit,
    };
    const onToken = (piece: string, generated: number, firstAt: number) => {
      progress.generatedTokens = generated;
      progress.firstTokenAt = firstAt;
      if (!piece) return;
      progress.text += piece;
      onText(piece);
    };
    const result = yield* generate(stream, this.tokenizer, sampling, options.stop, criteria, onToken, lineSearch);
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
      windowCapacity: stream.windowCapacity - (id === 'chat' ? this.chatPinned : 0),
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

/** Said once at load when the model has no fill-in-the-middle tokens (fimFormat.ts). */
export const NO_FIM_NOTICE =
  'This model has no fill-in-the-middle tokens: inline completions continue the text before the cursor and do not see the text after it.';

/** The cache shape's rules (cacheShape.ts); a window of 0 is derived from the model at load. */
function checkSetup(setup: EngineSetup): void {
  if (!Number.isInteger(setup.window) || setup.window < 0) throw new EngineInputError(`window must be a whole number (0 derives it from the model), got ${setup.window}`);
  if (setup.window === 0) {
    if (!Number.isInteger(setup.sinks) || setup.sinks < 0) throw new EngineInputError(`sinks must be a whole number ≥ 0, got ${setup.sinks}`);
    return;
  }
  checkCacheShape({ mode: setup.mode ?? 'sink', sinks: setup.sinks, window: setup.window });
}

/** Tokens the pinned system prompt takes after the sinks (0 when there is none). */
function pinnedLength(chatPrompt: ChatPrompt, prompt: string, sinks: number): number {
  if (!prompt) return 0;
  const { headEnd } = chatPrompt.build(prompt, [{ role: 'user', content: '' }]);
  return Math.max(0, headEnd - sinks);
}

interface CacheShape {
  /** Window tokens of the editor stream. */
  window: number;
  /** Window tokens of the chat stream. */
  chatWindow: number;
  pinned: number;
  notices: string[];
}

/**
 * The window of each stream. A configured window must fit the model's trained positions next
 * to the sinks and the pinned prompt, or the model refuses to load with a way to fix it. A
 * derived window (setting 0) is clamped to fit, with a notice, so that a long pinned prompt
 * never keeps the model from loading.
 */
function cacheShape(model: ModelDir, setup: EngineSetup, pinned: number): CacheShape {
  const maxPositions = model.arch.maxPositionEmbeddings;
  if (setup.window > 0) {
    checkTrainedPositions(model.arch, model.dir, { mode: setup.mode ?? 'sink', sinks: setup.sinks, window: setup.window, pinned });
    return { window: setup.window, chatWindow: setup.window, pinned, notices: [] };
  }
  const editor = defaultWindow(maxPositions, setup.sinks, 0);
  const chat = defaultWindow(maxPositions, setup.sinks, pinned);
  // The pinned prompt may take at most the chat window's own size (as checkTrainedPositions asks).
  const least = Math.max(MIN_WINDOW, setup.sinks + 1, pinned);
  if (chat.window < least) {
    throw new EngineInputError(
      `the pinned system prompt (${pinned} tokens) leaves no room for a chat window in the ${maxPositions} positions ${model.dir} can use; shorten endless.pinnedSystemPrompt`,
    );
  }
  const why = model.arch.positionLimitReason ? ` (${model.arch.positionLimitReason})` : '';
  const notices: string[] = [];
  if (editor.clamped) {
    notices.push(`The window is ${editor.window} tokens, not the default ${CACHE_DEFAULTS.window}: the model can use ${maxPositions} positions${why}, and ${setup.sinks} sinks take some of them.`);
  }
  if (chat.clamped) {
    notices.push(
      `The chat window is ${chat.window} tokens, not ${editor.window}: the pinned system prompt (${pinned} tokens) and ${setup.sinks} sinks must fit the ${maxPositions} positions the model can use${why}. Shorten endless.pinnedSystemPrompt for a longer window.`,
    );
  }
  return { window: editor.window, chatWindow: chat.window, pinned, notices };
}
