// Which model the tests run on: the bundled one (models/default) whenever it is there.
// ENDLESS_TEST_MODEL overrides (an absolute model directory).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';

export const BUNDLED_MODEL = path.join(ROOT, 'models', 'default');

function looksLikeModel(dir) {
  return existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.onnx'));
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
  const fixture = existsSync(fixtures)
    ? readdirSync(fixtures).map((name) => path.join(fixtures, name)).find(looksLikeModel)
    : undefined;
  if (!fixture) throw new Error(`No model to test with: ${BUNDLED_MODEL} has no .onnx file and there is no fixture model.`);
  console.log(`[test] NOTICE: the bundled model is missing; testing with the fixture ${path.relative(ROOT, fixture)}`);
  return fixture;
}
