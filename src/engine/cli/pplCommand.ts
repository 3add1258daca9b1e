// `endless ppl`: perplexity of a text file of any size in one cache mode, streamed in pieces
// with a progress line on stderr.
import { EngineInputError } from '../errors';
import { perplexity } from '../evaluate';
import type { CacheMode } from '../protocol';
import { print, type Values } from './args';
import { loadEvalModel, textIds } from './evalModel';

const MODES: readonly CacheMode[] = ['sink', 'window', 'dense', 'recompute'];
const PROGRESS_MS = 2000;

export async function pplCommand(values: Values): Promise<void> {
  const mode = (values.mode ?? 'sink') as CacheMode;
  if (!MODES.includes(mode)) throw new EngineInputError(`--mode must be sink, window, dense or recompute, got ${mode}`);
  const { model, tokenizer, decoder, sinks, window } = await loadEvalModel(values, mode);
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  let read = '';
  let shownAt = t0;
  const onRead = (bytesRead: number, totalBytes: number) => {
    read = `${(bytesRead / 1e6).toFixed(1)} of ${(totalBytes / 1e6).toFixed(1)} MB read`;
  };
  // A line every couple of seconds (rewritten in place on a terminal).
  const onProgress = (scored: number, ppl: number) => {
    const now = performance.now();
    if (now - shownAt < PROGRESS_MS) return;
    shownAt = now;
    const line = `ppl: ${scored} tokens scored, ${read}, ${((now - t0) / 1000).toFixed(0)} s, perplexity so far ${ppl.toFixed(3)}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  try {
    const ids = textIds(values, tokenizer, onRead);
    const report = await perplexity({ decoder, arch: model.arch, mode, sinks, window }, ids, undefined, onProgress);
    if (tty) process.stderr.write('\n');
    const human = [
      `${model.name} · ${mode} · sinks ${report.sinks} · window ${window} · ${report.tokens} tokens · ${report.seconds.toFixed(1)} s`,
      `perplexity ${report.perplexity.toFixed(3)}`,
      ...report.segments.map((p, i) => `  tokens ${i * report.segmentTokens}-${(i + 1) * report.segmentTokens}: ${p.toFixed(3)}`),
    ].join('\n');
    print(Boolean(values.json), { model: model.name, ...report }, human);
  } finally {
    await decoder.release();
  }
}
