import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { maxAbsDiff } from '../../../src/engine/evaluate';
import type { PastKv } from '../../../src/engine/graphInterface';
import { loadModelDir } from '../../../src/engine/modelDir';
import { SinkCache } from '../../../src/engine/sinkCache';
import { fixtureModels, graphFiles } from './helpers';

// The with-past adapter feeds each step's presents back as the next past. Whatever the caller
// does to the cache between steps (append, evict, truncate, discard a step, switch caches),
// the logits must equal those of a decoder that builds its past from the cache every time.
// Float16 graphs too: their adapter keeps float16 mirrors and converts only new rows.
for (const [dir, file] of fixtureModels().flatMap((d) => graphFiles(d).filter((f) => f === 'model.onnx' || f.includes('fp16')).map((f) => [d, f] as const))) {
  const model = loadModelDir(dir, file);
  test(`with-past presents fed back equal a past rebuilt each step (${dir.split('/').pop()}/${file})`, async (t) => {
    const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
    if (decoder.kind !== 'hf-with-past') {
      await decoder.release();
      t.skip('streaming interface');
      return;
    }
    const fresh = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
    // A new object each time: the reference never recognises a cache it saw before.
    const snapshot = (c: SinkCache): PastKv => ({ keys: c.keys, values: c.values, length: c.length });
    const cache = new SinkCache(model.arch, 48);
    const other = new SinkCache(model.arch, 48);
    const vocab = model.arch.vocabSize;
    let token = 3;
    const next = () => (token = (token * 31 + 7) % Math.min(vocab, 280));
    const step = async (c: SinkCache, n: number, keep = true) => {
      const ids = Array.from({ length: n }, next);
      if (c.free < n) c.evict(4, Math.max(n, 12));
      const got = await decoder.run(ids, c.length, c, false);
      const want = await fresh.run(ids, c.length, snapshot(c), false);
      assert.ok(maxAbsDiff(got.logits, want.logits, vocab) < 1e-5, `logits after ${c.length} cached`);
      for (let l = 0; l < model.arch.layers; l++) assert.ok(maxAbsDiff(got.keys[l], want.keys[l], got.keys[l].length) < 1e-5);
      if (keep) c.append(ids, got.keys, got.values);
    };
    await step(cache, 8);
    for (let i = 0; i < 60; i++) await step(cache, i % 7 === 0 ? 3 : 1);
    await step(cache, 1, false); // discarded: the next step's past is the cache, not that present
    await step(cache, 1);
    cache.truncate(cache.length - 5);
    await step(cache, 2);
    // Rows that did not come from this decoder's last step, at the length it expects next.
    const elsewhere = async (c: SinkCache, n: number) => {
      const ids = Array.from({ length: n }, next);
      const r = await fresh.run(ids, c.length, snapshot(c), false);
      c.append(ids, r.keys, r.values);
    };
    await elsewhere(other, cache.length);
    await step(cache, 1);
    await elsewhere(other, 1);
    await step(other, 1); // another cache of the same length
    await step(cache, 1);
    cache.evict(4, 6);
    await elsewhere(cache, 6); // evicted and refilled to the same length
    await step(cache, 1);
    await step(cache, 1);
    await decoder.release();
    await fresh.release();
  });
}
