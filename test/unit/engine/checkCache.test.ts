import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { cacheCheckPassed, checkCache } from '../../../src/engine/evaluate';
import { loadModelDir } from '../../../src/engine/modelDir';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { DEFAULT_MODEL, fixtureModels, hasDefaultModel, ROOT, sampleText, tempDir } from './helpers';

async function check(dir: string, sinks: number, window: number, maxTokens: number) {
  const model = loadModelDir(dir);
  const tokenizer = new TextTokenizer(model);
  const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
  const ids = [tokenizer.special.sink!, ...tokenizer.encodeText(sampleText())].slice(0, maxTokens);
  try {
    return await checkCache({ decoder, arch: model.arch, mode: 'sink', sinks, window }, ids, 4);
  } finally {
    await decoder.release();
  }
}

for (const dir of fixtureModels()) {
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

test('check-cache on the bundled model', { skip: hasDefaultModel() ? false : `no bundled model at ${DEFAULT_MODEL}` }, async () => {
  const report = await check(DEFAULT_MODEL, 4, 252, 2400);
  assert.ok(report.maxLayer0KvDiff <= 1e-3, `layer-0 K/V differ by ${report.maxLayer0KvDiff}`);
  // The bundled graph computes in int8 (MatMulNBits): every layer must stay within its own noise.
  assert.ok(report.windowShiftLogitsDiff !== null && report.windowShiftNoise !== null);
  assert.ok(cacheCheckPassed(report), `window shift diff ${report.windowShiftLogitsDiff} vs noise ${report.windowShiftNoise}`);
});

test('endless check-cache prints the differences as JSON; an empty text is refused', () => {
  const dir = tempDir();
  const text = join(dir, 'text.txt');
  writeFileSync(text, sampleText().slice(0, 6000));
  const model = fixtureModels()[0];
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/engine/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  const ok = cli(['check-cache', '--model', model, '--text', text, '--sinks', '4', '--window', '100', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as { ok: boolean; maxLayer0KvDiff: number; checks: unknown[] };
  assert.equal(report.ok, true);
  assert.ok(report.checks.length > 0);
  writeFileSync(text, '  \n');
  const empty = cli(['check-cache', '--model', model, '--text', text]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /--text .*text.txt is empty/);
  writeFileSync(text, 'some text');
  const small = cli(['ppl', '--model', model, '--text', text, '--sinks', '20', '--window', '20']);
  assert.equal(small.status, 1);
  assert.match(small.stderr, /--window \(20\) must be larger than --sinks \(20\)/);
});
