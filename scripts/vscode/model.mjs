// Which model the tests run on: the bundled one (models/default) whenever it is there.
// ENDLESS_TEST_MODEL overrides (an absolute model directory).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';

export const BUNDLED_MODEL = path.join(ROOT, 'models', 'default');

/** A model directory in the Hugging Face layout: config.json and onnx/*.onnx. */
function looksLikeModel(dir) {
  const onnx = path.join(dir, 'onnx');
  return existsSync(path.join(dir, 'config.json')) && existsSync(onnx) && readdirSync(onnx).some((name) => name.endsWith('.onnx'));
}

/**
 * The value for `endless.modelDirectory`: '' (the bundled model) when it exists, else the first
 * test fixture model, named in a notice so a run on a fixture is never mistaken for the real one.
 */
export function testModelDirectory() {
  const override = process.env.ENDLESS_TEST_MODEL;
  if (override) return path.resolve(override);
  if (looksLikeModel(BUNDLED_MODEL)) return '';
  const fixtures = path.join(ROOT, 'test', 'fixtures', 'models');
  // Prefer a fixture of the streaming interface, the one the bundled model speaks.
  const candidates = existsSync(fixtures) ? readdirSync(fixtures).sort((a, b) => Number(b.startsWith('stream')) - Number(a.startsWith('stream'))) : [];
  const fixture = candidates.map((name) => path.join(fixtures, name)).find(looksLikeModel);
  if (!fixture) throw new Error(`No model to test with: ${BUNDLED_MODEL} has no onnx/*.onnx and there is no fixture model under test/fixtures/models.`);
  console.log(`[test] NOTICE: the bundled model is missing; testing with the fixture ${path.relative(ROOT, fixture)}`);
  return fixture;
}
