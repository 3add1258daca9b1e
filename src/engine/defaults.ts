// The one place for the engine's default values: cache shape and generation options. The
// settings, the command-line tool, package.json (checked by a unit test) and the tests read
// them from here, so a default changes in one line.
import type { GenerateOptions } from './protocol';

export const CACHE_DEFAULTS = {
  /** Attention-sink tokens kept for ever at the start of every stream. */
  sinks: 4,
  /**
   * The rolling window when the user sets none. It is clamped so that sinks + pinned prompt +
   * window stays within the positions the model was trained on.
   */
  window: 960,
  pinnedSystemPrompt: 'You are a helpful coding assistant.',
  /** 0: the engine measures and picks its thread counts. */
  threads: 0,
} as const;

/**
 * What the editor stream holds around the cursor, as shares of its window. The host cuts text
 * by characters (about 3 per token of code, src/completion/contextBuilder.ts): before the
 * cursor, after it, and up to `maxChunks` chunks of other files. The text after the cursor
 * matters as much as the text before it: the completion must end where that text begins, and
 * on held-out code a suffix of 0.35 rather than 0.15 completes more lines
 * (tools/eval/results/README.md). The engine then bounds the suffix in tokens, so that dense
 * code cannot push the cursor block past what the stream takes at once.
 */
export const EDITOR_CONTEXT = {
  prefixShare: 0.5,
  suffixShare: 0.35,
  chunkShare: 0.1,
  maxChunks: 2,
  suffixTokenShare: 0.25,
} as const;

/** Chat replies: lightly sampled, bounded in length. */
export const CHAT_GENERATION: Readonly<GenerateOptions> = {
  maxTokens: 512,
  temperature: 0.2,
  topK: 40,
  topP: 0.95,
  repetitionPenalty: 1.1,
  stop: [],
  timeBudgetMs: 0,
};

/**
 * Completions are greedy (the most likely continuation, the same every time) and bounded in
 * time. When the greedy first line would be thrown away (empty, or repeating the code after
 * the cursor), or its first token is less likely than 0.9, the first line is chosen among the
 * lines of the four likeliest first tokens by how likely each is and how it reads with the code
 * around it (lineSearch.ts, lineFit.ts).
 */
export const COMPLETION_GENERATION: Readonly<GenerateOptions> = {
  maxTokens: 64,
  temperature: 0,
  topK: 0,
  topP: 1,
  repetitionPenalty: 1,
  stop: [],
  timeBudgetMs: 8000,
  lineCandidates: 4,
  weighFirstLineBelow: 0.9,
};

/** The command-line tool generates greedily unless told otherwise. */
export const CLI_GENERATION: Readonly<GenerateOptions> = {
  maxTokens: 128,
  temperature: 0,
  topK: 0,
  topP: 1,
  repetitionPenalty: 1,
  stop: [],
  timeBudgetMs: 0,
};

/** Greedy options of `maxTokens` tokens (tests, benchmarks). */
export function greedyOptions(maxTokens: number, extra: Partial<GenerateOptions> = {}): GenerateOptions {
  return { ...CLI_GENERATION, maxTokens, ...extra };
}

/**
 * The window when none is set: the default, or less when the model's trained positions leave
 * less room next to the sinks and the pinned prompt. `clamped` says the default did not fit.
 */
export function defaultWindow(maxPositions: number, sinks: number, pinned: number): { window: number; clamped: boolean } {
  const room = maxPositions - sinks - pinned;
  return room >= CACHE_DEFAULTS.window ? { window: CACHE_DEFAULTS.window, clamped: false } : { window: room, clamped: true };
}
