// The one message protocol between the extension host and the engine worker.
// Both ends import these types; nothing else crosses the worker boundary.
// Requests carry a numeric `id` chosen by the host; every reply names the request it answers.

export type StreamId = 'chat' | 'editor';
export const STREAM_IDS: readonly StreamId[] = ['chat', 'editor'];

/** Evaluation modes over the same cache machinery. The product uses `sink`. */
export type CacheMode = 'sink' | 'window' | 'dense' | 'recompute';

export interface EngineConfig {
  /** Absolute path of a model directory in the Hugging Face layout. */
  modelDir: string;
  /** Attention-sink tokens kept for ever at the start of every stream. */
  sinks: number;
  /** Rolling-window tokens per stream (capacity = sinks + pinned + window). */
  window: number;
  /** System prompt pinned after the sinks of the chat stream; empty for none. */
  pinnedSystemPrompt: string;
  /** onnxruntime intra-op threads; 0 lets the engine choose. */
  threads: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateOptions {
  maxTokens: number;
  /** 0 means greedy. */
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed?: number;
  /** Generation ends before any of these strings; the stop string itself is not returned. */
  stop: string[];
  /** Wall-clock budget for the whole request, prefill included; 0 for none. */
  timeBudgetMs: number;
  /** Keep generating past end-of-sequence tokens (fixed-length runs for benchmarks). */
  ignoreEos?: boolean;
}

/** A piece of code the user recently viewed or edited, streamed through the editor window. */
export interface ContextChunk {
  path: string;
  text: string;
}

/** What the editor stream should hold: recent context chunks, then the current file at the cursor. */
export interface EditorContext {
  chunks: ContextChunk[];
  path: string;
  languageId: string;
  /** Text before the cursor (already clipped by the host to a sensible length). */
  prefix: string;
  /** Text after the cursor (clipped likewise). */
  suffix: string;
}

export type HostToWorker =
  | { type: 'init'; id: number; config: EngineConfig }
  /** Full transcript, newest user message last; the engine appends only what its stream lacks. */
  | { type: 'chat'; id: number; messages: ChatMessage[]; options: GenerateOptions }
  /** Pre-fill the editor stream with this context; no generation. Superseded by newer feeds. */
  | { type: 'feed'; id: number; context: EditorContext }
  /** Fill-in-the-middle (or prefix) completion at the cursor. Supersedes older completions. */
  | { type: 'complete'; id: number; context: EditorContext; options: GenerateOptions }
  /** Cancel request `target`; takes effect before its next forward step. */
  | { type: 'cancel'; id: number; target: number }
  /** Drop a stream's cache (or both); the next request starts cold. */
  | { type: 'reset'; id: number; stream?: StreamId }
  | { type: 'shutdown'; id: number }
  /**
   * Ends the worker at once with exit code 70, whatever is in flight, as a crash would: for
   * recovery tests. It lands between two forward steps (messages are handled only then), so
   * no native call is cut off, which would abort the whole process.
   */
  | { type: 'crash'; id: number };

export type FinishReason = 'eos' | 'stop' | 'length' | 'time' | 'cancelled' | 'superseded';

export interface Usage {
  /** Tokens the request wanted in context. */
  promptTokens: number;
  /** Tokens actually run through the model for the prompt (the rest was reused). */
  prefilledTokens: number;
  generatedTokens: number;
  /** From receipt of the request to its first generated token. */
  firstTokenMs: number;
  totalMs: number;
  /**
   * Present when the prompt was longer than the window could use: this many of its first
   * tokens were left out (the newest text is what the model saw). The host tells the user.
   */
  clipped?: number;
}

export interface ModelInfo {
  name: string;
  dir: string;
  /** Which ONNX interface the model speaks. */
  interface: 'streaming' | 'hf-with-past';
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  hasFim: boolean;
  /** onnxruntime intra-op threads the engine runs single-token steps on (chosen when the setting is 0). */
  decodeThreads?: number;
  /** onnxruntime intra-op threads for prefill. */
  prefillThreads?: number;
}

export interface StreamStats {
  stream: StreamId;
  mode: CacheMode;
  capacity: number;
  sinks: number;
  pinned: number;
  /** Window tokens in use now. */
  window: number;
  windowCapacity: number;
  free: number;
  /** Tokens streamed through this cache since it started. */
  totalTokens: number;
  evictions: number;
  tokensEvicted: number;
  lastEvictionMs: number;
  prefillTokensPerSec: number;
  decodeTokensPerSec: number;
  lastPrefillMs: number;
  lastRequestLatencyMs: number;
}

export interface EngineStats {
  model: string;
  streams: Record<StreamId, StreamStats>;
  rssBytes: number;
  /** Milliseconds since the worker started. */
  uptimeMs: number;
}

export type WorkerToHost =
  | { type: 'ready'; id: number; model: ModelInfo }
  | { type: 'token'; id: number; text: string }
  | { type: 'done'; id: number; reason: FinishReason; text: string; usage: Usage }
  /** `id` is null for errors not tied to a request (e.g. a failed model load after init). */
  | { type: 'error'; id: number | null; message: string }
  /** Pushed at most ~10 times a second while anything changes. */
  | { type: 'stats'; stats: EngineStats };
