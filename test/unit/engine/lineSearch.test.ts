// A completion's first line when greedy decoding's would be thrown away or its first token is
// unsure (src/engine/lineSearch.ts), and the reading that scores a line with the code around it
// (src/engine/lineFit.ts), through the generation loop on the bundled model. Skipped (and saying
// so) when models/default is absent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine, newProgress } from '../../../src/engine/engine';
import { generate } from '../../../src/engine/generate';
import { LineReader } from '../../../src/engine/lineFit';
import type { LineSearchOptions } from '../../../src/engine/lineSearch';
import { argmax, logSumExp } from '../../../src/engine/sampler';
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
  const encode = (text: string) => [engine.tokenizer.special.sink!, ...engine.tokenizer.encodeText(text)];
  /** SOURCE up to the start of its second line, and up to the end of its second line's code. */
  const afterFirstLine = () => encode(SOURCE.slice(0, SOURCE.indexOf('\n') + 1));
  const afterLow = () => encode(SOURCE.slice(0, SOURCE.indexOf('\n  if (value > high)')));

  /** The line greedy decoding writes after `first`, and its log-probability, each on a fresh stream. */
  const lineFrom = async (first: number, ids0: number[]) => {
    const stream = await open(ids0);
    const ids = [first];
    let logProb = stream.lastLogits![first] - logSumExp(stream.lastLogits!);
    while (!eos.has(ids[ids.length - 1]) && !engine.tokenizer.decode(ids).includes('\n') && ids.length < 48) {
      await drain(stream.feed([ids[ids.length - 1]]));
      const next = argmax(stream.lastLogits!);
      logProb += stream.lastLogits![next] - logSumExp(stream.lastLogits!);
      ids.push(next);
    }
    return { ids, logProb, line: engine.tokenizer.decode(ids).split('\n')[0] };
  };
  const linesOf = async (k: number, ids0: number[]) => {
    const logits = (await open(ids0)).lastLogits!;
    const firsts = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, k);
    return Promise.all(firsts.map((first) => lineFrom(first, ids0)));
  };
  const likeliest = <T extends { logProb: number }>(lines: T[]) => lines.reduce((a, b) => (b.logProb > a.logProb ? b : a));
  const filled = (line: { line: string }) => line.line.trim().length > 0;

  /**
   * Greedy generation after `ids0` with the line search; `textAt` lists, for each piece of text
   * handed on, how many tokens the stream held then.
   */
  const run = async (ids0: number[], options: { unwanted?: string[]; maxTokens?: number; window?: number; candidates?: number; weighBelow?: number; fit?: LineSearchOptions['fit'] } = {}) => {
    const stream = await open(ids0, options.window);
    const criteria = new StopCriteria([...eos], options.maxTokens ?? 48, 0, performance.now());
    const textAt: number[] = [];
    const sampling = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 };
    const search = { candidates: options.candidates ?? 4, unwanted: new Set(options.unwanted ?? []), weighBelow: options.weighBelow ?? 0, fit: options.fit };
    const steps = generate(stream, engine.tokenizer, sampling, [], criteria, (piece) => piece && textAt.push(stream.logicalLength), search);
    const result = (await drain(steps)).value;
    return { ...result, textAt };
  };
  /** A line's ids as generation hands them on: an end token ends generation instead. */
  const shown = (ids: number[]) => (eos.has(ids[ids.length - 1]) ? ids.slice(0, -1) : ids);
  /** The token greedy decoding writes after `ids`, from a cold stream. */
  const nextAfter = async (ids: number[]) => argmax((await open(ids)).lastLogits!);

  test('keeps greedy decoding\'s line when it is wanted, though another is likelier, and streams it as it is written', async () => {
    const ids0 = afterFirstLine();
    const lines = await linesOf(4, ids0);
    assert.ok(filled(lines[0]));
    assert.notEqual(likeliest(lines.filter(filled)), lines[0]);
    const result = await run(ids0);
    assert.deepEqual(result.ids.slice(0, shown(lines[0].ids).length), shown(lines[0].ids));
    assert.ok(result.textAt[0] < ids0.length + lines[0].ids.length - 1, `first text with ${result.textAt[0]} tokens held`);
  });

  test('replaces a line the caller would throw away by the likeliest of the others, and goes on from it', async () => {
    const lines = await linesOf(4, prompt);
    const unwanted = lines[0].line.trim();
    const rivals = lines.filter((line) => filled(line) && line.line.trim() !== unwanted);
    assert.ok(rivals.length > 0);
    const chosen = shown(likeliest(rivals).ids);
    const result = await run(prompt, { unwanted: [unwanted] });
    assert.deepEqual(result.ids.slice(0, chosen.length), chosen);
    if (result.reason === 'eos') assert.equal(result.ids.length, chosen.length);
    else assert.equal(result.ids[chosen.length], await nextAfter([...prompt, ...chosen]));
  });

  test('replaces an empty line', async () => {
    // The cursor at the end of a finished line: greedy decoding ends the line at once, and one
    // of the next three first tokens starts a comment.
    const ids0 = afterLow();
    const lines = await linesOf(4, ids0);
    assert.ok(!filled(lines[0]), JSON.stringify(lines[0].line));
    const written = lines.filter(filled);
    assert.ok(written.length > 0);
    const chosen = shown(likeliest(written).ids);
    assert.deepEqual((await run(ids0)).ids.slice(0, chosen.length), chosen);
  });

  test('keeps greedy decoding\'s line when no line is wanted', async () => {
    // The cursor right after an opening brace: every likely first token breaks the line.
    const ids0 = prompt.slice(0, prompt.length - 1);
    const lines = await linesOf(4, ids0);
    assert.ok(!lines.some(filled));
    const plain = await run(ids0, { candidates: 1 });
    assert.deepEqual((await run(ids0)).ids, plain.ids);
  });

  /** The code around the start of SOURCE's second line, as if that line were still to be written. */
  const FIT_CONTEXT = { path: 'clamp.ts', prefix: `${SOURCE.split('\n')[0]}\n`, suffix: `\n${SOURCE.split('\n').slice(2).join('\n')}` };
  const newReader = () => new LineReader(new Stream(engine.decoder, engine.model.arch, { mode: 'sink', sinks: 4, window: 508, prefillChunk: 64 }), engine.tokenizer);
  const openFit = () => newReader().open(FIT_CONTEXT, 48);
  /** Log-probability of `text` after `head`, one token at a time on a fresh stream. */
  const logProbAfter = async (head: number[], text: string) => {
    const stream = await open(head);
    let sum = 0;
    for (const id of engine.tokenizer.encodeText(text)) {
      sum += stream.lastLogits![id] - logSumExp(stream.lastLogits!);
      await drain(stream.feed([id]));
    }
    return sum;
  };

  test('scores a line by how likely it and the two lines below are after the path and the code above', async () => {
    const fit = (await drain(openFit())).value!;
    const line = '  if (value < low) return low;';
    const t = engine.tokenizer;
    const head = [t.special.sink!, t.special.fileSep!, ...t.encodeText(`clamp.ts\n${SOURCE.split('\n')[0]}`)];
    const expected = await logProbAfter(head, `\n${line}\n  if (value > high) return high;\n  return value;`);
    const score = (await drain(fit.score(line))).value;
    // The reading runs the lines in one pass and the check one token a pass; the int4 kernels
    // quantise their inputs to int8 per pass, which moves a sum of ~25 tokens by a few hundredths,
    // and by 0.11 on a Xeon whose AVX512-VNNI kernels take that path. Scoring without the
    // two lines below would leave out ~15 tokens of log-probability, far more than that.
    assert.ok(Math.abs(score - expected) < 0.3, `${score} vs ${expected}`);
    // Scoring another line and this one again gives the same score: each starts from the mark.
    const other = (await drain(fit.score('  return low;'))).value;
    assert.ok(other < score, `${other} vs ${score}`);
    assert.ok(Math.abs((await drain(fit.score(line))).value - score) < 1e-4);
  });

  test('the reading reads each line of the code above once, as the user types and goes down the file', async () => {
    const stream = new Stream(engine.decoder, engine.model.arch, { mode: 'sink', sinks: 4, window: 508, prefillChunk: 64 });
    const reader = new LineReader(stream, engine.tokenizer);
    const t = engine.tokenizer;
    const fed = async (prefix: string) => {
      const before = stream.counters.totalTokens;
      const fit = (await drain(reader.open({ ...FIT_CONTEXT, prefix }, 48))).value!;
      assert.ok(Number.isFinite((await drain(fit.score('x'))).value));
      return stream.counters.totalTokens - before - t.encodeText(`${prefix.slice(prefix.lastIndexOf('\n'))}x${FIT_CONTEXT.suffix.split('\n').slice(0, 3).join('\n')}`).length;
    };
    const upTo = (text: string) => SOURCE.slice(0, SOURCE.indexOf(text));
    const whole = t.encodeText(`clamp.ts\n${upTo('\n  let total')}`).length + 2;
    assert.equal(await fed(upTo('let total')), whole);
    // Typing on the line: at most the last token read is run again for its logits.
    assert.ok((await fed(upTo('total = 0'))) <= 1);
    // The next line, with the host's window no longer holding the file's first line: only the new line is read.
    const next = upTo('for (const value').slice(SOURCE.indexOf('\n') + 1);
    const added = await fed(next);
    assert.ok(added > 0 && added <= t.encodeText('\n  let total = 0;').length + 1, `${added} tokens read`);
    // An edit above the cursor starts the reading over.
    const edited = next.replace('low', 'lower');
    assert.equal(await fed(edited), t.encodeText(`clamp.ts\n${edited.slice(0, edited.lastIndexOf('\n'))}`).length + 2);
  });

  test('weighs a wanted line against the others when its first token is unsure: the best by likelihood plus fit', async () => {
    const ids0 = afterFirstLine();
    const lines = (await linesOf(4, ids0)).filter(filled);
    const fit = (await drain(openFit())).value!;
    const scores = [];
    for (const line of lines) scores.push(line.logProb + (await drain(fit.score(line.line))).value);
    const best = lines[scores.indexOf(Math.max(...scores))];
    const weighed = await run(ids0, { weighBelow: 1, fit: openFit });
    assert.deepEqual(weighed.ids.slice(0, shown(best.ids).length), shown(best.ids));
    // Without a reading, the likeliest line wins; with a first token surer than `weighBelow`, greedy decoding's.
    const likeliestIds = shown(likeliest(lines).ids);
    assert.deepEqual((await run(ids0, { weighBelow: 1 })).ids.slice(0, likeliestIds.length), likeliestIds);
    assert.deepEqual((await run(ids0, { weighBelow: 1e-9, fit: openFit })).ids, (await run(ids0, { candidates: 1 })).ids);
  });

  test('a limit that cuts a held line ends it as greedy decoding wrote it', async () => {
    const [greedyLine] = await linesOf(1, prompt);
    assert.ok(greedyLine.ids.length > 3);
    const result = await run(prompt, { unwanted: [greedyLine.line.trim()], maxTokens: 3 });
    assert.deepEqual(result.ids, greedyLine.ids.slice(0, 3));
    assert.equal(result.reason, 'length');
  });

  test('decodes plainly when the window has no room for a line', async () => {
    const ids0 = afterFirstLine();
    const [greedyLine] = await linesOf(1, ids0);
    const plain = await run(ids0, { window: 40, candidates: 1, unwanted: [greedyLine.line.trim()] });
    assert.deepEqual((await run(ids0, { window: 40, unwanted: [greedyLine.line.trim()] })).ids, plain.ids);
  });

  test('a stream that evicted under a mark refuses to rewind to it', async () => {
    const stream = await open(prompt.slice(0, 30), 40);
    const mark = stream.mark();
    await drain(stream.feed(prompt.slice(30, 60)));
    assert.throws(() => stream.rewind(mark), /reserve room/);
  });

  test('completions replace an unwanted first line only when decoding greedily', async () => {
    const context = { chunks: [], path: 'sum.ts', languageId: 'typescript', prefix: 'export function sum(values: number[]): number {\n  let total = 0;\n', suffix: '\n  return total;\n}\n' };
    const complete = async (extra: Parameters<typeof greedy>[1]) => {
      engine.reset('editor');
      const p = newProgress();
      await drain(engine.complete(context, greedy(24, extra), p, () => {}));
      return p.text;
    };
    const firstLine = (text: string) => text.split('\n')[0].trim();
    const plain = await complete({});
    assert.ok(firstLine(plain).length > 0);
    assert.equal(await complete({ lineCandidates: 4 }), plain);
    const unwantedLines = [firstLine(plain)];
    assert.equal(await complete({ unwantedLines }), plain);
    const replaced = await complete({ lineCandidates: 4, unwantedLines });
    assert.ok(firstLine(replaced).length > 0);
    assert.notEqual(firstLine(replaced), firstLine(plain));
    // Sampling ignores the search.
    const sampled = (lineCandidates: number) => complete({ temperature: 0.7, seed: 3, lineCandidates, unwantedLines });
    assert.equal(await sampled(4), await sampled(1));
  });
});
