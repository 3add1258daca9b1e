import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { maxAbsDiff } from '../../../src/engine/evaluate';
import { loadModelDir, type ModelDir } from '../../../src/engine/modelDir';
import { openStream } from '../../../src/engine/evalStream';
import type { Stream, StreamOptions } from '../../../src/engine/stream';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { drain, fixtureModels, sampleText } from './helpers';

for (const dir of fixtureModels()) {
  describe(`stream on ${dir.split('/').pop()}`, () => {
    let model: ModelDir;
    let decoder: Decoder;
    let ids: number[];
    before(async () => {
      model = loadModelDir(dir);
      decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
      const tokenizer = new TextTokenizer(model);
      ids = [tokenizer.special.sink!, ...tokenizer.encodeText(sampleText())];
    });
    after(() => decoder.release());

    const open = (options: Partial<StreamOptions> = {}) =>
      openStream(decoder, model.arch, { mode: 'sink', sinks: 4, window: 96, prefillChunk: 32, ...options });

    const cold = async (tokens: number[]) => {
      const stream = open({ window: 1000 });
      await drain(stream.feed(tokens));
      return stream.lastLogits!;
    };

    test('prefix reuse gives the same logits as a cold prefill', async () => {
      const stream = open();
      const first = ids.slice(0, 40);
      await drain(stream.feed(stream.plan(first, 0, 0, false)!));
      // Extending the request: only the new tail runs.
      const longer = ids.slice(0, 55);
      const feed = stream.plan(longer, 0, 0, false)!;
      assert.deepEqual(feed, ids.slice(40, 55));
      await drain(stream.feed(feed));
      assert.ok(maxAbsDiff(stream.lastLogits!, await cold(longer), decoder.vocabSize) < 1e-4);
      // Diverging: the stream drops what no longer matches and runs only the new part.
      const edited = [...ids.slice(0, 30), ...ids.slice(200, 210)];
      const feed2 = stream.plan(edited, 0, 0, false)!;
      assert.deepEqual(feed2, ids.slice(200, 210));
      await drain(stream.feed(feed2));
      assert.ok(maxAbsDiff(stream.lastLogits!, await cold(edited), decoder.vocabSize) < 1e-4);
      // A request the cache already holds entirely re-runs just the last token for its logits.
      const shorter = ids.slice(0, 20);
      assert.deepEqual(stream.plan(shorter, 0, 0, false), [ids[19]]);
    });

    test('eviction keeps the sinks and the newest tokens, in order', async () => {
      const stream = open();
      const n = 500;
      await drain(stream.feed(ids.slice(0, n)));
      const cached = Array.from(stream.cache.tokens.subarray(0, stream.cache.length));
      const windowLen = stream.cache.length - 4;
      assert.deepEqual(cached, [...ids.slice(0, 4), ...ids.slice(n - windowLen, n)]);
      assert.ok(stream.counters.evictions > 0);
      assert.equal(stream.logicalLength, n);
      assert.ok(stream.cache.length <= stream.cache.capacity);
    });

    test('eviction cuts at a marked message boundary when one is near', async () => {
      const stream = open({ evictChunk: 12 });
      await drain(stream.feed(ids.slice(0, 100)));
      // Window holds logical 4..99 (96 tokens, full). Mark a boundary 20 tokens into the window.
      stream.markBoundaries([24]);
      await drain(stream.feed(ids.slice(100, 101)));
      assert.equal(stream.counters.tokensEvicted, 20);
      assert.equal(stream.cache.tokens[4], ids[24]);
    });

    test('a tail longer than the window starts the window at the part that fits', async () => {
      const stream = open();
      const feed = stream.plan(ids.slice(0, 400), 0, 0, true)!;
      assert.equal(feed.length, 4 + 72);
      await drain(stream.feed(feed));
      assert.equal(stream.logicalLength, 400);
      assert.deepEqual(Array.from(stream.cache.tokens.subarray(4, stream.cache.length)), ids.slice(400 - 72, 400));
    });

    test('a request that ends where tokens already left the window starts the stream over', async () => {
      const stream = open();
      await drain(stream.feed(ids.slice(0, 500)));
      const epoch = stream.epoch;
      const feed = stream.plan(ids.slice(0, 200), 0, 0, true)!;
      assert.equal(stream.epoch, epoch + 1);
      assert.deepEqual(feed, [...ids.slice(0, 4), ...ids.slice(200 - 72, 200)]);
      await drain(stream.feed(feed));
      assert.equal(stream.logicalLength, 200);
      // A request restated from a later offset cannot be aligned there: the caller must restate it all.
      assert.equal(stream.plan(ids.slice(50, 60), 50, 0, true), null);
    });

    test('a window that starts afresh starts at a message boundary when one is near', async () => {
      const stream = open();
      const feed = stream.plan(ids.slice(0, 400), 0, 0, true, [0, 150, 335, 345])!;
      // The plain cut would be at 400 - 72 = 328; the next boundary, 335, is near enough.
      assert.deepEqual(feed, [...ids.slice(0, 4), ...ids.slice(335, 400)]);
      assert.equal(stream.windowStartIndex, 335);
      // A boundary far after the cut would throw away too much context: the plain cut stays.
      const other = open();
      assert.deepEqual(other.plan(ids.slice(0, 400), 0, 0, true, [0, 360])!, [...ids.slice(0, 4), ...ids.slice(328, 400)]);
    });

    test('a reset that lands during a forward pass leaves the cache empty', async () => {
      const stream = open();
      const steps = stream.feed(ids.slice(0, 64));
      const pass = steps.next();
      stream.reset();
      await pass;
      assert.equal(stream.cache.length, 0);
      assert.equal(stream.lastLogits, null);
    });

    test('pinned tokens stay after the sinks through evictions', async () => {
      const stream = open();
      const feed = stream.plan(ids.slice(0, 300), 0, 6, false)!;
      await drain(stream.feed(feed));
      assert.equal(stream.head, 10);
      assert.deepEqual(Array.from(stream.cache.tokens.subarray(0, 10)), ids.slice(0, 10));
      assert.equal(stream.cache.tokens[stream.cache.length - 1], ids[299]);
    });

    test('every mode streams past its window', async () => {
      for (const mode of ['sink', 'window', 'dense', 'recompute'] as const) {
        const stream = open({ mode, window: 48, prefillChunk: 8, evictChunk: 8 });
        await drain(stream.feed(ids.slice(0, 150)));
        assert.equal(stream.logicalLength, 150, mode);
        if (mode === 'dense') assert.equal(stream.cache.length, 150);
        else assert.ok(stream.cache.length <= (mode === 'sink' ? 52 : 48), `${mode}: ${stream.cache.length}`);
        if (mode === 'window' || mode === 'recompute') assert.equal(stream.cache.tokens[0] === ids[0], false, mode);
      }
    });
  });
}
