// Choosing a completion's first line among several, on the bundled model. Skipped (and saying
// so) when models/default is absent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine, newProgress } from '../../../src/engine/engine';
import { searchLine } from '../../../src/engine/lineSearch';
import { argmax } from '../../../src/engine/sampler';
import { StopCriteria } from '../../../src/engine/stopCriteria';
import { Stream } from '../../../src/engine/stream';
import { DEFAULT_MODEL, drain, greedy, hasDefaultModel } from './helpers';

const skip = hasDefaultModel() ? false : `no bundled model at ${DEFAULT_MODEL}`;

const SOURCE = [
  'export function clamp(value: number, low: number, high: number): number {',
  '  if (value < low) return low;',
  '  if (value > high) return high;',
  '  return value;',
  '}',
  '',
  'export function sum(values: number[]): number {',
  '  let total = 0;',
  '  for (const value of values) {',
  '',
].join('\n');

describe('line search on the bundled model', { skip }, () => {
  let engine: Engine;
  let prompt: number[];
  let eos: Set<number>;
  before(async () => {
    engine = await Engine.load({ modelDir: DEFAULT_MODEL, sinks: 4, window: 508, pinnedSystemPrompt: 'You are a helpful coding assistant.', threads: 1 });
    const t = engine.tokenizer;
    prompt = [t.special.sink!, ...t.encodeText(SOURCE)];
    eos = new Set(t.special.eos);
  });
  after(() => engine?.dispose());

  const open = async (ids: number[], window = 508) => {
    const stream = new Stream(engine.decoder, engine.model.arch, { mode: 'sink', sinks: 4, window, prefillChunk: 64 });
    await drain(stream.feed(ids));
    return stream;
  };
  const criteria = (maxTokens = 48) => new StopCriteria([...eos], maxTokens, 0, performance.now());
  const logSoftmax = (logits: Float32Array, id: number) => {
    let max = -Infinity;
    for (const x of logits) max = Math.max(max, x);
    let total = 0;
    for (const x of logits) total += Math.exp(x - max);
    return logits[id] - max - Math.log(total);
  };

  /** The line greedy decoding writes after `first`, and its log-probability, each on a fresh stream. */
  const lineFrom = async (first: number) => {
    const stream = await open(prompt);
    const ids = [first];
    let logProb = logSoftmax(stream.lastLogits!, first);
    while (!eos.has(ids[ids.length - 1]) && !engine.tokenizer.decode(ids).includes('\n') && ids.length < 48) {
      await drain(stream.feed([ids[ids.length - 1]]));
      const next = argmax(stream.lastLogits!);
      logProb += logSoftmax(stream.lastLogits!, next);
      ids.push(next);
    }
    return { ids, logProb, text: engine.tokenizer.decode(ids) };
  };

  const firstTokens = async (k: number) => {
    const logits = (await open(prompt)).lastLogits!;
    return Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, k);
  };

  test('keeps the likeliest of the lines the top first tokens lead to, and leaves the stream as if it had been fed that line', async () => {
    const lines = await Promise.all((await firstTokens(4)).map(lineFrom));
    const written = lines.filter((line) => line.text.split('\n')[0].trim().length > 0);
    assert.ok(written.length > 1);
    const likeliest = written.reduce((a, b) => (b.logProb > a.logProb ? b : a));
    const stream = await open(prompt);
    const chosen = (await drain(searchLine(stream, engine.tokenizer, { candidates: 4, unwanted: () => false }, criteria()))).value;
    assert.deepEqual(chosen, likeliest.ids);
    const fed = eos.has(chosen![chosen!.length - 1]) ? chosen!.slice(0, -1) : chosen!;
    assert.deepEqual(Array.from(stream.cache.tokens.subarray(0, stream.cache.length)), [...prompt, ...fed]);
    // A one-token pass and a pre-fill round differently (~0.1 in a logit), so the check is the next token.
    const cold = await open([...prompt, ...fed]);
    assert.equal(argmax(stream.lastLogits!), argmax(cold.lastLogits!));
  });

  test('passes over a line the caller would throw away, and over an empty one', async () => {
    const lines = await Promise.all((await firstTokens(4)).map(lineFrom));
    const best = lines.reduce((a, b) => (b.logProb > a.logProb ? b : a));
    const unwanted = (line: string) => line.trim() === best.text.split('\n')[0].trim();
    const chosen = (await drain(searchLine(await open(prompt), engine.tokenizer, { candidates: 4, unwanted }, criteria()))).value!;
    const text = engine.tokenizer.decode(chosen).split('\n')[0];
    assert.ok(!unwanted(text), text);
    assert.ok(text.trim().length > 0);
    const rivals = lines.filter((line) => !unwanted(line.text.split('\n')[0]) && line.text.split('\n')[0].trim().length > 0);
    assert.deepEqual(chosen, rivals.reduce((a, b) => (b.logProb > a.logProb ? b : a)).ids);
  });

  test('a line cut by the token limit is the greedy one', async () => {
    const [top] = await firstTokens(1);
    const greedyLine = await lineFrom(top);
    assert.ok(greedyLine.ids.length > 3);
    const chosen = (await drain(searchLine(await open(prompt), engine.tokenizer, { candidates: 4, unwanted: () => false }, criteria(3)))).value;
    assert.deepEqual(chosen, greedyLine.ids.slice(0, 3));
  });

  test('does nothing when the window has no room for a line', async () => {
    const stream = await open(prompt.slice(0, 20), 40);
    const before = stream.logicalLength;
    assert.equal((await drain(searchLine(stream, engine.tokenizer, { candidates: 4, unwanted: () => false }, criteria(48)))).value, null);
    assert.equal(stream.logicalLength, before);
  });

  test('a stream that evicted under a mark refuses to rewind to it', async () => {
    const stream = await open(prompt.slice(0, 30), 40);
    const mark = stream.mark();
    await drain(stream.feed(prompt.slice(30, 60)));
    assert.throws(() => stream.rewind(mark), /reserve room/);
  });

  test('completions weigh several first lines only when decoding greedily', async () => {
    const context = { chunks: [], path: 'app.py', languageId: 'python', prefix: 'import os\nimport sys\n\n\ndef main():\n', suffix: '\n\nif __name__ == "__main__":\n    main()\n' };
    const complete = async (extra: Parameters<typeof greedy>[1]) => {
      const p = newProgress();
      await drain(engine.complete(context, greedy(24, extra), p, () => {}));
      return p.text;
    };
    const firstLine = (text: string) => text.split('\n')[0].trim();
    const plain = await complete({});
    assert.equal(await complete({ lineCandidates: 1 }), plain);
    assert.equal(await complete({ unwantedLines: [firstLine(plain)] }), plain);
    // The chosen first line, marked unwanted, gives way to another.
    const searched = await complete({ lineCandidates: 4 });
    const avoided = await complete({ lineCandidates: 4, unwantedLines: [firstLine(searched)] });
    assert.ok(firstLine(avoided).length > 0);
    assert.notEqual(firstLine(avoided), firstLine(searched));
    // Sampling ignores the search.
    const sampled = (lineCandidates: number) => complete({ temperature: 0.7, seed: 3, lineCandidates, unwantedLines: [firstLine(plain)] });
    assert.equal(await sampled(4), await sampled(1));
  });
});
