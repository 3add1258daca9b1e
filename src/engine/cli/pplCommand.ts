// `endless ppl`: perplexity of a text file of any size in one cache mode, streamed in pieces
// with a progress line on stderr.
import { EngineInputError } from '../errors';
import { perplexity } from '../evaluate';
import type { CacheMode } from '../protocol';
import { print, type Values } from './args';
import { loadEvalModel, textIds } from './evalModel';

const MODES: readonly CacheMode[] = ['sink', 'window', 'dense', 'recompute'];

export async function pplCommand(values: Values): Promise<void> {
  const mode = (values.mode ?? 'sink') as CacheMode;
  if (!MODES.includes(mode)) throw new EngineInputError(`--mode must be sink, window, dense or recompute, got ${mode}`);
  const { model, tokenizer, decoder, sinks, window } = await loadEvalModel(values, mode);
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  const progress = (bytesRead: number, totalBytes: number) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const line = `ppl: ${mb(bytesRead)} of ${mb(totalBytes)} MB scored, ${((performance.now() - t0) / 1000).toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  try {
    const report = await perplexity({ decoder, arch: model.arch, mode, sinks, window }, textIds(values, tokenizer, progress));
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
