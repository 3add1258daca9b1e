import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { Engine } from '../../../src/engine/engine';
import { loadModelDir } from '../../../src/engine/modelDir';
import { FIXTURES, tempDir } from './helpers';

function copyFixture(name = 'stream-a'): string {
  const dir = join(tempDir(), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(file, JSON.stringify(config));
}

test('reads the architecture, rotary layout and special ids from config.json', () => {
  const model = loadModelDir(join(FIXTURES, 'std-b'));
  assert.equal(model.arch.layers, 2);
  assert.equal(model.arch.kvHeads, 1);
  assert.equal(model.arch.headDim, 32);
  assert.equal(model.arch.rotaryByLayer[0].rotaryDim, 16);
  assert.deepEqual(model.arch.eosTokenIds, [282, 284]);
  assert.ok(model.onnxPath.endsWith('onnx/model.onnx'));
});

test('a missing model directory names the path and what it should hold', () => {
  assert.throws(() => loadModelDir('/nonexistent/model'), /model directory not found: \/nonexistent\/model.*config.json/);
});

test('a missing or malformed config.json is named', () => {
  const dir = copyFixture();
  writeFileSync(join(dir, 'config.json'), '{ "num_hidden_layers": ');
  assert.throws(() => loadModelDir(dir), /model config is not valid JSON \(.*config.json\)/);
  rmSync(join(dir, 'config.json'));
  assert.throws(() => loadModelDir(dir), /model config not found: .*config.json/);
});

test('missing architecture fields are named with the file', () => {
  const dir = copyFixture();
  editConfig(dir, (c) => delete c.num_hidden_layers);
  assert.throws(() => loadModelDir(dir), /"num_hidden_layers" is missing from .*config.json/);
});

test('a tokenizer whose vocabulary does not fit the model is refused', () => {
  const dir = copyFixture();
  editConfig(dir, (c) => (c.vocab_size = 100));
  assert.throws(() => loadModelDir(dir), /token ids up to 288, but config.json says vocab_size 100/);
});

test('unsupported rotary styles are refused', () => {
  const dir = copyFixture();
  editConfig(dir, (c) => (c.rope_scaling = { rope_type: 'xpos', factor: 2 }));
  assert.throws(() => loadModelDir(dir), /rope type "xpos".*not supported/);
  editConfig(dir, (c) => {
    c.rope_scaling = null;
    c.model_type = 'gptj';
  });
  assert.throws(() => loadModelDir(dir), /model_type "gptj".*interleaved/);
});

test('a model directory without an ONNX graph is named', () => {
  const dir = copyFixture();
  rmSync(join(dir, 'onnx'), { recursive: true });
  assert.throws(() => loadModelDir(dir), /no ONNX graph in .*onnx/);
});

test('a graph that speaks neither interface lists the inputs found and expected', async () => {
  const model = loadModelDir(join(FIXTURES, 'stream-a'));
  await assert.rejects(
    Decoder.load(join(__dirname, 'data/not-a-decoder.onnx'), model.arch, { threads: 1 }),
    /neither ONNX interface[\s\S]*found inputs: pixel_values[\s\S]*past_key\.0[\s\S]*past_key_values\.0\.key/,
  );
});

test('a graph with a different layer count than config.json is refused', async () => {
  const dir = copyFixture();
  editConfig(dir, (c) => (c.num_hidden_layers = 5));
  await assert.rejects(Engine.load({ modelDir: dir, sinks: 4, window: 64, pinnedSystemPrompt: '', threads: 1 }), /3 layers of past keys but config.json says num_hidden_layers 5/);
});

test('window not larger than sinks, and a cache beyond the trained positions, are refused', async () => {
  const modelDir = join(FIXTURES, 'stream-a');
  await assert.rejects(Engine.load({ modelDir, sinks: 20, window: 20, pinnedSystemPrompt: '', threads: 1 }), /window \(20\) must be larger than sinks \(20\)/);
  await assert.rejects(Engine.load({ modelDir, sinks: 4, window: 4096, pinnedSystemPrompt: '', threads: 1 }), /exceeds max_position_embeddings \(2048\)/);
});

test('a bad tokenizer file is named', () => {
  const dir = copyFixture();
  mkdirSync(join(dir, 'x'));
  writeFileSync(join(dir, 'tokenizer.json'), '[]');
  assert.throws(() => loadModelDir(dir), /tokenizer must hold a JSON object: .*tokenizer.json/);
});
