// Streaming perplexity (item 3): held-out code streamed through one cache per mode, perplexity
// per 1,024-token segment against the position in the stream (the StreamingLLM figure).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { loadDecoder } from '../../src/engine/engine';
import { perplexity } from '../../src/engine/evaluate';
import type { ModelDir } from '../../src/engine/modelDir';
import type { CacheMode } from '../../src/engine/protocol';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { ROOT } from '../lib/text';

export interface PerplexityCurve {
  mode: CacheMode;
  tokens: number;
  perplexity: number;
  /** Perplexity of each 1,024-token segment, in stream order. */
  segments: number[];
  seconds: number;
}

export interface PerplexityResult {
  /** The streamed file, relative to the repository. */
  text: string;
  textTokens: number;
  sinks: number;
  window: number;
  /** Tokens fed per forward pass and evicted at once (every prediction sees window − chunk … window tokens). */
  chunk: number;
  curves: PerplexityCurve[];
}

export async function perplexitySection(o: {
  model: ModelDir;
  threads: number;
  text: string;
  sinks: number;
  window: number;
  /** Tokens each mode streams (dense and recompute cost more: see the report). */
  tokens: Record<CacheMode, number>;
  log: (line: string) => void;
}): Promise<PerplexityResult> {
  const tokenizer = new TextTokenizer(o.model);
  const sink = tokenizer.special.sink;
  const ids = [...(sink === undefined ? [] : [sink]), ...tokenizer.encodeText(readFileSync(o.text, 'utf8'))];
  const decoder = await loadDecoder(o.model, o.threads);
  const chunk = Math.ceil(o.window / 8);
  const curves: PerplexityCurve[] = [];
  for (const mode of ['sink', 'window', 'recompute', 'dense'] as CacheMode[]) {
    const n = Math.min(ids.length, o.tokens[mode]);
    if (n < 2) continue;
    // Window and recompute hold as many tokens as sink mode does (sinks + window).
    const window = mode === 'sink' ? o.window : o.window + o.sinks;
    const r = await perplexity({ decoder, arch: o.model.arch, mode, sinks: o.sinks, window, prefillChunk: chunk, evictChunk: chunk }, ids.slice(0, n));
    curves.push({ mode, tokens: r.tokens, perplexity: r.perplexity, segments: r.segments, seconds: r.seconds });
    o.log(`  ${mode}: ${r.tokens} tokens, perplexity ${r.perplexity.toFixed(2)} (${r.seconds.toFixed(0)} s)`);
  }
  await decoder.release();
  return { text: relative(ROOT, o.text), textTokens: ids.length, sinks: o.sinks, window: o.window, chunk, curves };
}
