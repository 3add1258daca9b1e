// Sample outputs of a model directory through the engine itself (the shipped ONNX graph, the
// real prompt layouts of docs/prompt-format.md, greedy decoding), for the model card.
//
//   node --import tsx tools/train/model_samples.ts [MODEL_DIR] > samples.json
import { Engine, newProgress } from '../../src/engine/engine';
import { freshChat, type GenerateOptions } from '../../src/engine/protocol';

interface Completion { path: string; languageId: string; prefix: string; suffix: string }

const completions: Completion[] = [
  {
    path: 'src/utils/math.ts',
    languageId: 'typescript',
    prefix: 'export function clamp(value: number, min: number, max: number): number {\n  ',
    suffix: '\n}\n',
  },
  {
    path: 'src/strings.ts',
    languageId: 'typescript',
    prefix: '/** Returns the string with its first letter in upper case. */\nexport function capitalize(s: string): string {\n  return ',
    suffix: ';\n}\n',
  },
  {
    path: 'src/http/fetchJson.ts',
    languageId: 'typescript',
    prefix: 'export async function fetchJson<T>(url: string): Promise<T> {\n  const response = await fetch(url);\n  if (!response.ok) {\n    ',
    suffix: '\n  }\n  return (await response.json()) as T;\n}\n',
  },
  {
    path: 'lib/array.js',
    languageId: 'javascript',
    prefix: '/**\n * Returns the items of `array` without duplicates, in their first order.\n */\nfunction unique(array) {\n',
    suffix: '\n}\n\nmodule.exports = { unique };\n',
  },
  {
    path: 'src/sum.ts',
    languageId: 'typescript',
    prefix: 'export function sum(values: number[]): number {\n  let total = 0;\n  for (const v of values) {\n',
    suffix: '\n  }\n  return total;\n}\n',
  },
];

const requests = [
  'Write a TypeScript function that reverses a string.',
  'Write a JavaScript function that returns the largest number in an array.',
  'Write a Python function that checks whether a number is prime.',
];

async function main(): Promise<void> {
  const modelDir = process.argv[2] ?? 'models/default';
  const engine = await Engine.load({ modelDir, sinks: 4, window: 1020, pinnedSystemPrompt: '', threads: 0 });
  const options: GenerateOptions = {
    maxTokens: 96, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1.1, stop: [], timeBudgetMs: 0,
  };
  const out: unknown[] = [];
  for (const c of completions) {
    const progress = newProgress();
    const steps = engine.complete({ chunks: [], ...c }, options, progress, () => {});
    let step = await steps.next();
    while (!step.done) step = await steps.next();
    out.push({ kind: 'completion', ...c, output: progress.text, reason: step.value });
  }
  for (const r of requests) {
    const progress = newProgress();
    const steps = engine.chat(freshChat([{ role: 'user', content: r }]), { ...options, maxTokens: 160 }, progress, () => {});
    let step = await steps.next();
    while (!step.done) step = await steps.next();
    out.push({ kind: 'chat', request: r, output: progress.text, reason: step.value });
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await engine.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
