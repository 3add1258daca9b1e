// The command line's options and how each is read: one table for every command, and readers
// that refuse a bad value with the option's name, what was given and what would work.
import { availableParallelism } from 'node:os';
import type { parseArgs } from 'node:util';
import { checkCacheShape } from '../cacheShape';
import { CACHE_DEFAULTS, CLI_GENERATION, defaultWindow } from '../defaults';
import { EngineInputError } from '../errors';
import type { CacheMode } from '../protocol';

export const OPTIONS = {
  model: { type: 'string' },
  onnx: { type: 'string' },
  prompt: { type: 'string' },
  'prompt-file': { type: 'string' },
  'max-tokens': { type: 'string' },
  'time-budget': { type: 'string' },
  stream: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  seed: { type: 'string' },
  system: { type: 'string' },
  text: { type: 'string' },
  mode: { type: 'string' },
  sinks: { type: 'string' },
  window: { type: 'string' },
  threads: { type: 'string' },
  'ignore-eos': { type: 'boolean' },
  json: { type: 'boolean' },
  file: { type: 'string' },
  line: { type: 'string' },
  column: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export function numberArg(values: Values, name: keyof typeof OPTIONS, fallback: number, integer = true): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new EngineInputError(`--${name} must be ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** More threads than cores only makes them wait for each other (and a huge count never starts). */
export function threadsArg(values: Values): number {
  const threads = numberArg(values, 'threads', CACHE_DEFAULTS.threads);
  const cores = availableParallelism();
  if (threads < 0 || threads > cores) {
    throw new EngineInputError(`--threads must be between 0 (the engine chooses) and ${cores} (the cores of this machine), got ${threads}`);
  }
  return threads;
}

/** `--time-budget SECONDS` as milliseconds; 0 for none (the default). */
export function timeBudgetArg(values: Values): number {
  const seconds = numberArg(values, 'time-budget', CLI_GENERATION.timeBudgetMs / 1000, false);
  if (seconds < 0) throw new EngineInputError(`--time-budget must be a number of seconds ≥ 0 (0 for none), got ${seconds}`);
  return Math.round(seconds * 1000);
}

/**
 * `--sinks` and `--window`, checked by the rules every stream obeys. Without `--window`, the
 * default window, made smaller where the model can use fewer positions (`maxPositions`).
 */
export function cacheShapeArgs(values: Values, mode: CacheMode, maxPositions?: number): { sinks: number; window: number } {
  const sinks = numberArg(values, 'sinks', CACHE_DEFAULTS.sinks);
  const fitted = maxPositions === undefined || mode === 'dense' ? CACHE_DEFAULTS.window : defaultWindow(maxPositions, mode === 'sink' ? sinks : 0, 0).window;
  const window = numberArg(values, 'window', fitted);
  checkCacheShape({ mode, sinks, window }, { sinks: '--sinks', window: '--window' });
  return { sinks, window };
}

export function print(json: boolean, data: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
}
