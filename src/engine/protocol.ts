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
  /**
   * Rolling-window tokens per stream (capacity = sinks + pinned + window). 0 derives it from the
   * model's trained positions, the sinks and the pinned prompt (see defaults.ts).
   */
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

/** A chat message numbered by the host: numbers only grow within a chat. */
export interface SeqChatMessage extends ChatMessage {
  seq: number;
}

/**
 * What a chat request adds to the chat stream. The worker keeps the messages its window can
 * still use, so the host sends only what is new: the messages after `after`, the last one the
 * worker acknowledged (`done.chatHeld`). With `after` null the chat stream starts over with
 * `messages` (a tail the host bounds), as after a restart or a new session.
 */
export interface ChatTurn {
  after: number | null;
  /** Oldest first, each `seq` larger than `after`; the last one is the message to reply to. */
  messages: SeqChatMessage[];
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
  /**
   * Greedy decoding only: how many of the likeliest first tokens may lead the first line when
   * the first line is chosen among several (src/engine/lineSearch.ts); 1 or none: plain greedy
   * decoding.
   */
  lineCandidates?: number;
  /**
   * Greedy decoding's first token less likely than this: its first line is weighed against the
   * others even when it is wanted; 0 or none: another line is chosen only for an unwanted one.
   */
  weighFirstLineBelow?: number;
  /** Lines (trimmed) that a completion should not begin with, because the host would drop them. */
  unwantedLines?: string[];
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
  /** The messages new since the last turn, newest user message last. */
  | { type: 'chat'; id: number; turn: ChatTurn; options: GenerateOptions }
  /** Pre-fill the editor stream with this context; no generation. Superseded by newer feeds. */
  | { type: 'feed'; id: number; context: EditorContext }
  /** Fill-in-the-middle (or prefix) completion at the cursor. Supersedes older completions. */
  | { type: 'complete'; id: number; context: EditorContext; options: GenerateOptions }
  /** Cancel request `target`; takes effect before its next forward step. */
  | { type: 'cancel'; id: number; target: number }
  /**
   * Drop a stream's cache (or both); the next request starts cold. `pinnedSystemPrompt` replaces
   * the chat stream's pinned prompt (the model stays loaded).
   */
  | { type: 'reset'; id: number; stream?: StreamId; pinnedSystemPrompt?: string }
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
  /** The rolling window the streams run with (the configured one, or the derived default). */
  window: number;
  /** Things the user should know about how the model was set up (e.g. a clamped window). */
  notices: string[];
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
  /** `chatHeld`: for chat requests, the `seq` of the last message the chat stream now holds. */
  | { type: 'done'; id: number; reason: FinishReason; text: string; usage: Usage; chatHeld?: number | null }
  /**
   * `id` is null for errors not tied to a request (e.g. a failed model load after init).
   * `code` `chatOutOfStep`: the chat turn's `after` is not what the worker holds; send the
   * turn again with `after` null.
   */
  | { type: 'error'; id: number | null; message: string; code?: 'chatOutOfStep' }
  /** Pushed at most ~10 times a second while anything changes. */
  | { type: 'stats'; stats: EngineStats };

/** A turn that starts the chat stream over with `messages`, numbered from 0. */
export function freshChat(messages: readonly ChatMessage[]): ChatTurn {
  return { after: null, messages: messages.map((message, seq) => ({ role: message.role, content: message.content, seq })) };
}
