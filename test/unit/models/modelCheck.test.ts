// A model folder is checked by the engine itself (its loader, then a real worker that loads the
// graph) before the picker uses it; the reason it gives is what the user sees.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineConfig } from '../../../src/engine/protocol';
import { checkModelFolder } from '../../../src/models/modelCheck';

const FIXTURE = resolve(__dirname, '../../fixtures/models/std-a');
const WORKER = resolve('dist/worker.js');
const CONFIG: EngineConfig = { modelDir: '', sinks: 4, window: 64, pinnedSystemPrompt: '', threads: 1 };

describe('model folder check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'endless-check-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('accepts a model the engine loads, and names it', async () => {
    const result = await checkModelFolder(FIXTURE, WORKER, CONFIG);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.model.interface, 'hf-with-past');
  });

  it('refuses a folder without a model, saying what is missing', async () => {
    const result = await checkModelFolder(scratch, WORKER, CONFIG);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /config\.json/);
  });

  it('refuses a graph the engine cannot load, with the engine\'s own reason', async () => {
    const broken = join(scratch, 'broken');
    cpSync(FIXTURE, broken, { recursive: true });
    writeFileSync(join(broken, 'onnx', 'model.onnx'), 'not an onnx graph');
    const result = await checkModelFolder(broken, WORKER, CONFIG);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /model\.onnx/);
  });
});
