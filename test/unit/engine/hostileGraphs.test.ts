// Broken and hostile graphs (made by tools/export/make_hostile_fixtures.py from the one-layer
// streaming fixture) fail with a message naming the file, what was expected and what was found.
import assert from 'node:assert/strict';
import { cpSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { Engine } from '../../../src/engine/engine';
import { checkProbe } from '../../../src/engine/graphContract';
import { loadModelDir } from '../../../src/engine/modelDir';
import { freshChat } from '../../../src/engine/protocol';
import { drain, FIXTURES, greedy, ROOT, tempDir } from './helpers';

const HOSTILE = join(ROOT, 'test/fixtures/hostile');
const BASE = join(FIXTURES, 'stream-1layer');
const arch = loadModelDir(BASE).arch;

async function loadError(name: string): Promise<string> {
  const path = join(HOSTILE, `${name}.onnx`);
  try {
    const decoder = await Decoder.load(path, arch, { threads: 1 });
    await decoder.release();
  } catch (err) {
    const message = (err as Error).message;
    assert.ok(message.includes(path), `the message names the file: ${message}`);
    return message;
  }
  assert.fail(`${name}.onnx loaded`);
}

test('the unbroken base graph loads and passes its probe step', async () => {
  const decoder = await Decoder.load(loadModelDir(BASE).onnxPath, arch, { threads: 1 });
  await decoder.release();
});

test('a missing K/V output is named with the outputs found', async () => {
  const message = await loadError('missing-output');
  assert.match(message, /lacks the output key\.0: the streaming interface needs logits and key\.0, value\.0/);
  assert.match(message, /found outputs: logits, value\.0/);
});

test('a key output with the wrong head size is refused before it corrupts the cache', async () => {
  const message = await loadError('wrong-head-size');
  assert.match(message, /output key\.0 has .* of 8 dims .* but config\.json says 4 kv heads of head_dim 16/);
});

test('an extra required input is named with the inputs Endless fills', async () => {
  const message = await loadError('extra-input');
  assert.match(message, /has an input Endless cannot fill: logit_bias/);
  assert.match(message, /expected only: input_ids, position_ids/);
});

test('int32 token ids are named with the type Endless feeds', async () => {
  assert.match(await loadError('int32-ids'), /input input_ids is int32, but Endless feeds int64/);
});

test('a missing external data file is named', async () => {
  const message = await loadError('missing-data');
  assert.match(message, /external data file, and that file is missing: expected .*missing-data\.onnx\.data beside the graph/);
});

test('NaN logits stop generation with an error instead of streaming garbage', async () => {
  // A model directory whose graph turns NaN from position 6 on: the load probe (position 0) passes.
  const dir = join(tempDir(), 'nan-model');
  cpSync(BASE, dir, { recursive: true });
  copyFileSync(join(HOSTILE, 'nan-logits.onnx'), join(dir, 'onnx/model.onnx'));
  const engine = await Engine.load({ modelDir: dir, sinks: 1, window: 60, pinnedSystemPrompt: '', threads: 1 });
  try {
    const steps = engine.chat(freshChat([{ role: 'user', content: 'hello there' }]), greedy(20), { text: '', promptTokens: 0, prefilledTokens: 0, generatedTokens: 0, firstTokenAt: 0 }, () => {});
    await assert.rejects(drain(steps), (err: Error) => {
      assert.match(err.message, /onnx\/model\.onnx returned non-finite logits \(NaN\) for the token at position \d+: .*generation stopped/);
      return true;
    });
  } finally {
    await engine.dispose();
  }
});

test('the probe step catches K/V sizes a graph does not declare', () => {
  const floats = arch.kvHeads * 8;
  const result = { logits: new Float32Array(arch.vocabSize), rows: 1, keys: [new Float32Array(floats)], values: [new Float32Array(floats)] };
  assert.throws(
    () => checkProbe(result, '/m/model.onnx', arch, 1),
    /\/m\/model\.onnx returned 32 floats of layer-0 keys for 1 token in a first step \(a head size of 8\), but config\.json says 4 kv heads of head_dim 16 \(64 floats\)/,
  );
});
