// `endless complete` (and the held-out evaluation built on it) with the default settings: the
// window setting 0 means "derived from the model", and the context around the cursor must be
// sized from that derived window, not from the setting's 0 (which left an empty prompt).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { completeAt, loadEditorEngine } from '../../../src/engine/cli/completeCommand';
import type { Engine } from '../../../src/engine/engine';
import { FIXTURES } from './helpers';

let engine: Engine;
before(async () => {
  engine = await loadEditorEngine(join(FIXTURES, 'stream-a'), 1);
});
after(() => engine?.dispose());

test('the prompt holds the code around the cursor when the window is derived', async () => {
  assert.ok(engine.info.window > 0);
  const lines = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i});`);
  const result = await completeAt(engine, { text: lines.join('\n'), path: 'src/values.ts', line: 150, character: 0 });
  // 150 lines of prefix are ~4,800 characters: the editor keeps half of ~3 characters per
  // window token of it, far more than the path and the special tokens alone (~20 tokens).
  assert.ok(result.promptTokens > 300, `prompt of ${result.promptTokens} tokens`);
});
