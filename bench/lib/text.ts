// Held-out code as token ids: the benchmark's prompts and perplexity streams.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTokenizer } from '../../src/engine/tokenizer';

export const ROOT = join(__dirname, '..', '..');
/** ≥ 64K tokens of held-out code (bench/data/README.md says where it comes from). */
export const LONG_HELDOUT = join(ROOT, 'bench/data/heldout-long.txt');
/** 46K tokens of held-out code, used by the model card. */
export const HELDOUT = join(ROOT, 'tools/train/heldout-stream.txt');

/** The sink token, then the text's tokens, repeated until there are `count` (the caller says when it repeats). */
export function heldoutIds(tokenizer: TextTokenizer, count: number, file = existsSync(LONG_HELDOUT) ? LONG_HELDOUT : HELDOUT): number[] {
  const base = tokenizer.encodeText(readFileSync(file, 'utf8'));
  const sink = tokenizer.special.sink;
  const ids = sink === undefined ? [] : [sink];
  while (ids.length < count) ids.push(...base.slice(0, count - ids.length));
  return ids;
}
