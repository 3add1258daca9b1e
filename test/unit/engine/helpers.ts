// Shared by the engine tests: the small random-weight models committed under test/fixtures,
// and the bundled model when it is present.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { greedyOptions } from '../../../src/engine/defaults';
import type { GenerateOptions } from '../../../src/engine/protocol';

export const ROOT = resolve(__dirname, '../../..');
export const FIXTURES = join(ROOT, 'test/fixtures/models');
export const DEFAULT_MODEL = join(ROOT, 'models/default');

export function fixtureModels(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => existsSync(join(FIXTURES, name, 'config.json')))
    .sort()
    .map((name) => join(FIXTURES, name));
}

/** Fixtures exported from the families' own `transformers` classes (tools/export/make_family_fixtures.py). */
export function familyFixtures(): string[] {
  return fixtureModels().filter((dir) => basename(dir).startsWith('hf-'));
}

/** The graphs of a model folder's onnx/ (model.onnx, model_fp16.onnx, model_q4.onnx…). */
export function graphFiles(dir: string): string[] {
  return readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.onnx')).sort();
}

export function hasDefaultModel(): boolean {
  return existsSync(join(DEFAULT_MODEL, 'config.json')) && existsSync(join(DEFAULT_MODEL, 'onnx'));
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'endless-engine-'));
}

export function greedy(maxTokens: number, extra: Partial<GenerateOptions> = {}): GenerateOptions {
  return greedyOptions(maxTokens, extra);
}

/** Some source text to stream (the engine's own code: long, varied, committed). */
export function sampleText(): string {
  const files = ['stream.ts', 'sinkCache.ts', 'decoder.ts', 'engine.ts'];
  return files.map((f) => readFileSync(join(ROOT, 'src/engine', f), 'utf8')).join('\n');
}

export async function drain<T>(steps: AsyncGenerator<void, T, void>): Promise<{ value: T; steps: number }> {
  let count = 0;
  for (;;) {
    const step = await steps.next();
    if (step.done) return { value: step.value, steps: count };
    count++;
  }
}
