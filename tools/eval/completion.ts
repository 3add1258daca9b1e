// Held-out single-line infilling through `endless complete`'s code path (src/engine/cli/completeCommand.ts):
// the editor's context layout, FIM prompt, options and stop rules, a fresh editor stream each.
//   node --import tsx tools/eval/completion.ts [--model DIR] [--data tools/eval/.data]
//        [--count 150] [--seed 11] [--out results.json] [--languages typescript,python]
//        [--line-candidates N] [--weigh-below P]
// --seed 11,12,13 draws one sample per seed (a line drawn twice counts once) and reports each
// seed and all of them: 200 lines cannot tell apart models a point or two apart.
// Exact match: the first line of the ghost text equals the removed line (ends trimmed).
// Edit similarity: 1 - Levenshtein distance / length of the longer of the two.
// --line-candidates and --weigh-below replace the completion options of the same names
// (lineCandidates, weighFirstLineBelow: src/engine/lineSearch.ts) to measure other choices.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { completeAt, loadEditorEngine } from '../../src/engine/cli/completeCommand';
import { defaultModelDir } from '../../src/engine/packageRoot';
import { type EvalLanguage, type LineSample, sampleLines } from './heldoutLines';
import { editSimilarity, failureModes } from './score';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: join(import.meta.dirname, '.data') },
    count: { type: 'string', default: '150' },
    seed: { type: 'string', default: '11' },
    out: { type: 'string' },
    languages: { type: 'string', default: 'typescript,python' },
    threads: { type: 'string', default: '0' },
    'line-candidates': { type: 'string' },
    'weigh-below': { type: 'string' },
  },
});

/** One evaluated line, as the report lists it. */
interface LineResult {
  language: EvalLanguage;
  seed: number;
  path: string;
  line: number;
  expected: string;
  got: string;
  /** What the model wrote before the stop rules cut it, and why generation ended. */
  raw: string;
  reason: string;
  exact: boolean;
  editSimilarity: number;
  prefilledTokens: number;
  generatedTokens: number;
  totalMs: number;
}

async function main(): Promise<void> {
  const seeds = values.seed!.split(',').map((text) => {
    const seed = Number(text);
    if (text.trim() === '' || !Number.isInteger(seed)) throw new Error(`--seed ${values.seed}: give whole numbers separated by commas, as in 11,12,13`);
    return seed;
  });
  const overrides = {
    ...(values['line-candidates'] !== undefined && { lineCandidates: numberFlag('--line-candidates', values['line-candidates'], 1, 64) }),
    ...(values['weigh-below'] !== undefined && { weighFirstLineBelow: numberFlag('--weigh-below', values['weigh-below'], 0, 1) }),
  };
  const model = values.model ?? defaultModelDir();
  const engine = await loadEditorEngine(model, Number(values.threads));
  const results: LineResult[] = [];
  const summary: Record<string, unknown> = {};
  for (const language of values.languages!.split(',') as EvalLanguage[]) {
    const samples = drawSamples(language, seeds);
    const lines: LineResult[] = [];
    let ms = 0;
    const modes: Record<string, number> = {};
    for (const [index, { seed, sample }] of samples.entries()) {
      const result = await completeAt(engine, sample, overrides);
      const first = result.text.split('\n')[0].trim();
      const hit = first === sample.expected.trim();
      const es = editSimilarity(first, sample.expected.trim());
      ms += result.totalMs;
      for (const mode of failureModes(result.text, language)) modes[mode] = (modes[mode] ?? 0) + 1;
      lines.push({ language, seed, path: sample.path, line: sample.line + 1, expected: sample.expected, got: result.text, raw: result.raw, reason: result.reason, exact: hit, editSimilarity: es, prefilledTokens: result.prefilledTokens, generatedTokens: result.generatedTokens, totalMs: Math.round(result.totalMs) });
      if ((index + 1) % 25 === 0) {
        const sofar = scores(lines);
        process.stderr.write(`${language} ${index + 1}/${samples.length}: EM ${sofar.exactMatch.toFixed(3)} ES ${sofar.editSimilarity.toFixed(3)}\n`);
      }
    }
    const { samples: n, exactMatch, editSimilarity: similarity } = scores(lines);
    summary[language] = {
      samples: n,
      packages: new Set(samples.map(({ sample: s }) => s.path.split('/')[s.path.startsWith('@') ? 1 : 0])).size,
      exactMatch,
      editSimilarity: similarity,
      meanMs: Math.round(ms / Math.max(1, n)),
      failureModes: modes,
      ...(seeds.length > 1 && { seeds: Object.fromEntries(seeds.map((seed) => [seed, scores(lines.filter((line) => line.seed === seed))])) }),
    };
    results.push(...lines);
  }
  await engine.dispose();
  const report = { model: engine.info.name, modelDir: model, seed: seeds.length === 1 ? seeds[0] : seeds, overrides, summary, results };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`${JSON.stringify({ model: report.model, seed: report.seed, summary }, null, 2)}\n`);
}

function numberFlag(flag: string, text: string, low: number, high: number): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= low && value <= high)) throw new Error(`${flag} ${text}: give a number from ${low} to ${high}`);
  return value;
}

/** One sample per seed, in seed order; a line that an earlier seed drew is not drawn again. */
function drawSamples(language: EvalLanguage, seeds: number[]): { seed: number; sample: LineSample }[] {
  const seen = new Set<string>();
  const out = [];
  for (const seed of seeds) {
    for (const sample of sampleLines(values.data!, language, Number(values.count), seed)) {
      const key = `${sample.path}:${sample.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ seed, sample });
    }
  }
  return out;
}

/** Lines, exact match and edit similarity of some evaluated lines. */
function scores(lines: LineResult[]): { samples: number; exactMatch: number; editSimilarity: number } {
  const n = Math.max(1, lines.length);
  return {
    samples: lines.length,
    exactMatch: round(lines.filter((line) => line.exact).length / n),
    editSimilarity: round(lines.reduce((sum, line) => sum + line.editSimilarity, 0) / n),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

main().catch((err: unknown) => {
  process.stderr.write(`completion eval: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
