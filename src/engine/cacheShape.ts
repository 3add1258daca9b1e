// What a stream's cache may look like, checked before anything is loaded or allocated: the same
// rules for the extension's settings, `endless generate`, `ppl` and `check-cache`.
import { totalmem } from 'node:os';
import { EngineInputError } from './errors';
import type { ModelArch } from './modelDir';
import type { CacheMode } from './protocol';

/** Fewest window tokens a stream works with: a prompt's tail and the reply must fit. */
export const MIN_WINDOW = 16;

export interface CacheShape {
  mode: CacheMode;
  sinks: number;
  window: number;
  /** Slots held by a pinned system prompt after the sinks (chat stream only). */
  pinned?: number;
}

/** How the caller names the two numbers (`sinks`, `--sinks`, `endless.sinkTokens`…). */
export interface ShapeNames {
  sinks: string;
  window: string;
}

/** Whole numbers, a usable window, and a window larger than the sinks. */
export function checkCacheShape({ mode, sinks, window }: CacheShape, names: ShapeNames = { sinks: 'sinks', window: 'window' }): void {
  if (!Number.isInteger(sinks) || sinks < 0) throw new EngineInputError(`${names.sinks} must be a whole number ≥ 0, got ${sinks}`);
  if (!Number.isInteger(window) || window <= 0) throw new EngineInputError(`${names.window} must be a positive whole number, got ${window}`);
  if (window < MIN_WINDOW) {
    throw new EngineInputError(
      `${names.window} ${window} is too small to hold a prompt and its reply: use a window of at least ${MIN_WINDOW} tokens`,
    );
  }
  if (mode === 'sink' && window <= sinks) throw new EngineInputError(`${names.window} (${window}) must be larger than ${names.sinks} (${sinks})`);
}

/**
 * Positions are slots, so the capacity is the highest position a stream ever uses: it must stay
 * within what the model was trained on. Dense mode is exempt: running past the trained length
 * is the experiment it exists for. A pinned system prompt takes slots of its own.
 */
export function checkTrainedPositions(arch: ModelArch, dir: string, shape: CacheShape): void {
  const sinks = shape.mode === 'sink' ? shape.sinks : 0;
  const pinned = shape.pinned ?? 0;
  const trained = arch.maxPositionEmbeddings;
  const bounded = shape.mode !== 'dense';
  if (bounded && sinks + shape.window > trained) {
    const why = arch.positionLimitReason
      ? `the ${trained} positions ${dir} can use (${arch.positionLimitReason})`
      : `max_position_embeddings (${trained}) of ${dir}: positions would leave the range the model was trained on`;
    throw new EngineInputError(`sinks + window (${sinks} + ${shape.window}) exceeds ${why}; use a window of at most ${trained - sinks} tokens`);
  }
  // The pinned prompt may take at most half the chat stream's slots after the sinks, and all
  // of it must stay within the trained positions.
  const room = bounded ? Math.min(shape.window, trained - sinks - shape.window) : shape.window;
  if (pinned > room) {
    throw new EngineInputError(
      `the pinned system prompt takes ${pinned} tokens, but with ${sinks} sinks and a ${shape.window}-token window ` +
        `${bounded ? `within the ${trained} positions ${dir} can use ` : ''}it may take at most ${Math.max(0, room)}: shorten the system prompt` +
        (bounded && room < shape.window ? ' or use a smaller window' : ''),
    );
  }
}

/** Bytes of one stream's K/V cache at `capacity` slots. */
export function cacheBytes(arch: ModelArch, capacity: number): number {
  return 2 * arch.layers * capacity * arch.kvHeads * arch.headDim * Float32Array.BYTES_PER_ELEMENT;
}

/** Refuses a cache the machine cannot hold, before trying to allocate it. */
export function checkCacheFits(arch: ModelArch, capacity: number): void {
  const bytes = cacheBytes(arch, capacity);
  const perLayer = bytes / (2 * arch.layers);
  // A typed array holds at most 2^32 elements in some engines; stay below what V8 allows here.
  const tooLarge = perLayer / Float32Array.BYTES_PER_ELEMENT > 2 ** 32 - 1 || bytes > totalmem() / 2;
  if (tooLarge) {
    throw new EngineInputError(
      `a cache of ${capacity} tokens needs ${gib(bytes)} (${arch.layers} layers × ${arch.kvHeads} kv heads × ${arch.headDim} dims, keys and values in float32), ` +
        `more than this machine can give it (${gib(totalmem())} of memory): use a smaller window`,
    );
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
