// The bundled model through the whole engine. Skipped (and saying so) when models/default is absent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine, newProgress } from '../../../src/engine/engine';
import { maxAbsDiff } from '../../../src/engine/evaluate';
import { freshChat } from '../../../src/engine/protocol';
import { Stream } from '../../../src/engine/stream';
import { DEFAULT_MODEL, drain, greedy, hasDefaultModel, sampleText } from './helpers';

const skip = hasDefaultModel() ? false : `no bundled model at ${DEFAULT_MODEL}`;

describe('the bundled model', { skip }, () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.load({ modelDir: DEFAULT_MODEL, sinks: 4, window: 508, pinnedSystemPrompt: 'You are a helpful coding assistant.', threads: 1 });
  });
  after(() => engine?.dispose());

  test('loads through the streaming interface with <|bos|> as its sink and FIM tokens', () => {
    assert.equal(engine.info.interface, 'streaming');
    assert.equal(engine.info.hasFim, true);
    assert.equal(engine.tokenizer.decode([engine.tokenizer.special.sink!], true), '<|bos|>');
  });

  test('ignoreEos runs a reply that would end at end-of-sequence to its full length', async () => {
    const request = (ignoreEos: boolean) => {
      const p = newProgress();
      const context = { chunks: [], path: 'a.py', languageId: 'python', prefix: 'def add(a, b):\n    return ', suffix: '\n\nprint(add(1, 2))\n' };
      return drain(engine.complete(context, greedy(40, { ignoreEos }), p, () => {})).then((r) => ({ reason: r.value, generated: p.generatedTokens }));
    };
    const ended = await request(false);
    assert.equal(ended.reason, 'eos');
    assert.ok(ended.generated < 40, `${ended.generated}`);
    assert.deepEqual(await request(true), { reason: 'length', generated: 40 });
  });

  test('answers a chat message and completes code in the middle', async () => {
    const chat = newProgress();
    const reason = (await drain(engine.chat(freshChat([{ role: 'user', content: 'Write a function that adds two numbers.' }]), greedy(48), chat, () => {}))).value;
    assert.ok(reason === 'eos' || reason === 'length', reason);
    assert.ok(chat.text.trim().length > 0);
    assert.ok(!/<\|(im_end|im_start|bos|endoftext)\|>/.test(chat.text));

    const fim = newProgress();
    const context = { chunks: [], path: 'math.py', languageId: 'python', prefix: 'def add(a, b):\n    return ', suffix: '\n\nprint(add(1, 2))\n' };
    await drain(engine.complete(context, greedy(16), fim, () => {}));
    assert.ok(fim.text.length > 0, 'the completion is empty');
  });

  test('prefix reuse gives the same logits as a cold prefill', async () => {
    const tokenizer = engine.tokenizer;
    const ids = [tokenizer.special.sink!, ...tokenizer.encodeText(sampleText())].slice(0, 300);
    const open = () => new Stream(engine.decoder, engine.model.arch, { mode: 'sink', sinks: 4, window: 508, prefillChunk: 64 });
    const warm = open();
    await drain(warm.feed(warm.plan(ids.slice(0, 200), 0, 0, false)!));
    const tail = warm.plan(ids, 0, 0, false)!;
    assert.equal(tail.length, 100);
    await drain(warm.feed(tail));
    const cold = open();
    await drain(cold.feed(ids));
    assert.ok(maxAbsDiff(warm.lastLogits!, cold.lastLogits!, engine.decoder.vocabSize) < 1e-3);
  });
});
