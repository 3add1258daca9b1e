import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { cacheCheckPassed, checkCache } from '../../../src/engine/evaluate';
import { loadModelDir } from '../../../src/engine/modelDir';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { DEFAULT_MODEL, familyFixtures, fixtureModels, graphFiles, hasDefaultModel, ROOT, sampleText, tempDir } from './helpers';

async function check(dir: string, sinks: number, window: number, maxTokens: number, onnxFile?: string) {
  const model = loadModelDir(dir, onnxFile);
  const tokenizer = new TextTokenizer(model);
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
  const ids = [tokenizer.special.sink!, ...tokenizer.encodeText(sampleText())].slice(0, maxTokens);
  try {
    return await checkCache({ decoder, arch: model.arch, mode: 'sink', sinks, window }, ids, 4);
  } finally {
    await decoder.release();
  }
}

const families = new Set(familyFixtures());

for (const dir of fixtureModels().filter((d) => !families.has(d))) {
  test(`check-cache: evicted and re-rotated cache agrees with a cold prefill (${dir.split('/').pop()})`, async () => {
    const report = await check(dir, 4, 120, 3000);
    assert.equal(report.checks.length, 4);
    // Each check compares a cache that has turned over: full (capacity 124, less at most the
    // last eviction chunk) and evicted more often at every check.
    for (const [i, c] of report.checks.entries()) {
      assert.ok(c.cached > 100 && c.cached <= 124, `check ${i}: ${c.cached} cached`);
      assert.ok(c.evictions > (i === 0 ? 0 : report.checks[i - 1].evictions), `check ${i}: ${c.evictions} evictions`);
      assert.ok(c.layer0KvDiff <= 1e-3, `check ${i}: layer-0 K/V differ by ${c.layer0KvDiff}`);
    }
    assert.ok(report.maxLayer0KvDiff <= 1e-3, `layer-0 K/V differ by ${report.maxLayer0KvDiff}`);
    // Every layer: re-rotated window attention equals attention at the original positions.
    assert.ok(report.windowShiftLogitsDiff !== null && report.windowShiftLogitsDiff <= 1e-3, `window shift diff ${report.windowShiftLogitsDiff}`);
    // With one layer nothing in the cache depends on evicted context: the logits must agree too.
    if (loadModelDir(dir).arch.layers === 1) assert.ok(report.maxLogitsDiff <= 1e-3, `logits differ by ${report.maxLogitsDiff}`);
    // Deeper layers remember evicted tokens, so the logits must differ from a cold prefill (a
    // check that compared a cache with itself would report 0), yet stay within the logits'
    // own spread (about 20 for these random models).
    else assert.ok(report.maxLogitsDiff > 1e-3 && report.maxLogitsDiff < 20, `logits differ by ${report.maxLogitsDiff}`);
  });
}

// Every graph of every family fixture: float32, float16 K/V and logits, int4 weights. 700
// tokens through a 124-slot cache turn it over five times, enough for four checks.
for (const dir of families) {
  for (const file of graphFiles(dir)) {
    test(`check-cache passes on ${dir.split('/').pop()}/${file}`, async () => {
      const report = await check(dir, 4, 120, 700, file);
      assert.equal(report.checks.length, 4);
      for (const [i, c] of report.checks.entries()) {
        assert.ok(c.cached > 100 && c.cached <= 124, `check ${i}: ${c.cached} cached`);
        assert.ok(c.evictions > (i === 0 ? 0 : report.checks[i - 1].evictions), `check ${i}: ${c.evictions} evictions`);
      }
      assert.equal(report.kvType, file.includes('fp16') ? 'float16' : 'float32');
      assert.ok(cacheCheckPassed(report), `layer-0 ${report.maxLayer0KvDiff} (≤ ${report.layer0Tolerance}), shift ${report.windowShiftLogitsDiff} (≤ ${report.windowShiftTolerance})`);
      // Float32 graphs without int8 arithmetic are exact to rounding, as before.
      if (file === 'model.onnx') assert.ok(report.maxLayer0KvDiff <= 1e-4, `layer-0 K/V differ by ${report.maxLayer0KvDiff}`);
      // The graph without position_ids (positions from the mask) skips the shift check.
      assert.equal(report.windowShiftLogitsDiff === null, dir.endsWith('hf-mistral'));
      // Two layers: the deeper one remembers evicted tokens, so the logits must differ.
      assert.ok(report.maxLogitsDiff > 1e-3 && report.maxLogitsDiff < 30, `logits differ by ${report.maxLogitsDiff}`);
    });
  }
}

test('check-cache fails when config.json states other rope frequencies than the graph uses', async () => {
  // The float16 tolerance must still catch a wrong rotation: Phi-3 with its longrope factors dropped.
  const dir = join(tempDir(), 'hf-phi3');
  cpSync(join(ROOT, 'test/fixtures/models/hf-phi3'), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  config.rope_parameters = { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const report = await check(dir, 4, 120, 400, 'model_fp16.onnx');
  assert.equal(cacheCheckPassed(report), false);
  assert.ok(report.maxLayer0KvDiff > 10 * report.layer0Tolerance, `layer-0 ${report.maxLayer0KvDiff} vs tolerance ${report.layer0Tolerance}`);
});

test('check-cache on the bundled model', { skip: hasDefaultModel() ? false : `no bundled model at ${DEFAULT_MODEL}` }, async () => {
  const report = await check(DEFAULT_MODEL, 4, 252, 2400);
  assert.ok(report.maxLayer0KvDiff <= 1e-3, `layer-0 K/V differ by ${report.maxLayer0KvDiff}`);
  // The bundled graph computes in int8 (MatMulNBits): every layer must stay within its own noise.
  assert.ok(report.windowShiftLogitsDiff !== null && report.windowShiftNoise !== null);
  assert.ok(cacheCheckPassed(report), `window shift diff ${report.windowShiftLogitsDiff} vs noise ${report.windowShiftNoise}`);
});

test('endless check-cache prints the differences as JSON; an empty text, an unknown graph and a window past a sliding window are refused', () => {
  const dir = tempDir();
  const text = join(dir, 'text.txt');
  writeFileSync(text, sampleText().slice(0, 3000));
  const model = join(ROOT, 'test/fixtures/models/hf-gemma3');
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/engine/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  const ok = cli(['check-cache', '--model', model, '--onnx', 'model_fp16.onnx', '--text', text, '--sinks', '4', '--window', '100', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as { ok: boolean; kvType: string; checks: unknown[] };
  assert.equal(report.ok, true);
  assert.equal(report.kvType, 'float16');
  assert.ok(report.checks.length > 0);
  const unknown = cli(['check-cache', '--model', model, '--onnx', 'model_q8.onnx', '--text', text]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no graph named "model_q8.onnx" in .*hf-gemma3\/onnx; it holds model.onnx, model_fp16.onnx/);
  const wide = cli(['check-cache', '--model', model, '--text', text, '--sinks', '4', '--window', '600']);
  assert.equal(wide.status, 1);
  assert.match(wide.stderr, /sinks \+ window \(4 \+ 600\) exceeds the 512 positions .*hf-gemma3 can use \(its sliding_window of 512: .*\); use a window of at most 508 tokens/);
  writeFileSync(text, '  \n');
  const empty = cli(['check-cache', '--model', model, '--text', text]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /--text .*text.txt is empty/);
  writeFileSync(text, 'some text');
  const small = cli(['ppl', '--model', model, '--text', text, '--sinks', '20', '--window', '20']);
  assert.equal(small.status, 1);
  assert.match(small.stderr, /--window \(20\) must be larger than --sinks \(20\)/);
});
