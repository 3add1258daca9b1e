// The chat protocol's watermark: a turn carries only the messages the worker does not hold, so
// its cost (rendering, tokenizing, pre-filling) does not depend on how long the chat has been.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ChatOutOfStepError, ChatPrompt } from '../../../src/engine/chatPrompt';
import { Engine, newProgress } from '../../../src/engine/engine';
import { loadModelDir } from '../../../src/engine/modelDir';
import type { SeqChatMessage } from '../../../src/engine/protocol';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { drain, FIXTURES, greedy } from './helpers';

const model = loadModelDir(join(FIXTURES, 'stream-a'));

/** The real tokenizer, counting the characters of text it is asked to tokenize. */
function countingTokenizer(): { tokenizer: TextTokenizer; chars: () => number } {
  const tokenizer = new TextTokenizer(model);
  let chars = 0;
  const encodeText = tokenizer.encodeText.bind(tokenizer);
  tokenizer.encodeText = (text: string) => {
    chars += text.length;
    return encodeText(text);
  };
  return { tokenizer, chars: () => chars };
}

test('a continuing turn renders exactly what the whole chat would add, and restates nothing older', () => {
  const tokenizer = new TextTokenizer(model);
  const prompt = new ChatPrompt(tokenizer, model.tokenizerConfig);
  const messages: SeqChatMessage[] = [
    { seq: 1, role: 'user', content: 'first question' },
    { seq: 2, role: 'assistant', content: 'an answer' },
    { seq: 3, role: 'user', content: 'second question' },
  ];
  const whole = prompt.build('Be brief.', messages);
  const first = prompt.target('Be brief.', { after: null, messages: messages.slice(0, 1) }, 0, 4, 0);
  // The stream holds the first turn up to the end of its content (the generation prompt and a
  // reply would follow); the next turn starts right after that content.
  const held = first.held[0].end;
  prompt.commit(first, 4);
  const next = prompt.target('Be brief.', { after: 1, messages: messages.slice(1) }, 0, 4, held + 5);
  assert.equal(next.offset, held);
  assert.deepEqual([...first.tokens.slice(0, held), ...next.tokens], whole.tokens);
});

test('a turn after 5,000 messages tokenizes only its new messages', () => {
  const { tokenizer, chars } = countingTokenizer();
  const prompt = new ChatPrompt(tokenizer, model.tokenizerConfig);
  let after: number | null = null;
  let length = 0;
  const perTurn: number[] = [];
  for (let seq = 0; seq < 5000; seq += 2) {
    const messages: SeqChatMessage[] = [];
    if (seq > 0) messages.push({ seq: seq - 1, role: 'assistant', content: `reply ${seq - 1}` });
    messages.push({ seq, role: 'user', content: `question number ${seq}` });
    const before = chars();
    const target = prompt.target('Be brief.', { after, messages }, 0, Math.max(0, length - 900), length);
    perTurn.push(chars() - before);
    length = target.offset + target.tokens.length;
    after = prompt.commit(target, Math.max(0, length - 900));
  }
  const last = perTurn.at(-1)!;
  const newChars = `reply 4997`.length + `question number 4998`.length;
  assert.equal(last, newChars, 'only the two new messages were tokenized');
  assert.ok(Math.max(...perTurn.slice(1)) <= newChars + 2);
});

test('a turn whose `after` the stream no longer holds is refused, so the host sends it cold', () => {
  const prompt = new ChatPrompt(new TextTokenizer(model), model.tokenizerConfig);
  const first = prompt.target('', { after: null, messages: [{ seq: 0, role: 'user', content: 'hi' }] }, 0, 4, 0);
  prompt.commit(first, 4);
  const end = first.held[0].end;
  // Unknown message, and a message whose end has left the window.
  assert.throws(() => prompt.target('', { after: 7, messages: [{ seq: 8, role: 'user', content: 'x' }] }, 0, 4, end), ChatOutOfStepError);
  assert.throws(() => prompt.target('', { after: 0, messages: [{ seq: 1, role: 'user', content: 'x' }] }, 0, end + 1, end + 50), ChatOutOfStepError);
  // Message numbers must grow.
  assert.throws(() => prompt.target('', { after: 0, messages: [{ seq: 0, role: 'user', content: 'x' }] }, 0, 4, end), /must grow/);
});

let engine: Engine;
before(async () => {
  engine = await Engine.load({ modelDir: join(FIXTURES, 'stream-a'), sinks: 4, window: 96, pinnedSystemPrompt: 'You help.', threads: 1 });
});
after(async () => {
  await engine.dispose();
});

test('through the engine: late turns pre-fill as much as early ones, and the stream stays bounded', async () => {
  let after: number | null = null;
  let reply: string | undefined;
  let seq = 0;
  const prefilled: number[] = [];
  const restated: number[] = [];
  for (let turn = 0; turn < 60; turn++) {
    const messages: SeqChatMessage[] = [];
    if (reply !== undefined) messages.push({ seq: seq++, role: 'assistant', content: reply });
    messages.push({ seq: seq++, role: 'user', content: `turn ${turn}` });
    const p = newProgress();
    await drain(engine.chat({ after, messages }, greedy(6), p, () => {}));
    prefilled.push(p.prefilledTokens);
    if (turn > 0) restated.push(p.promptTokens);
    after = p.chatHeld ?? null;
    reply = p.text;
  }
  const stats = engine.stats().streams.chat;
  assert.ok(stats.evictions > 3, 'the chat outgrew the window many times');
  const early = Math.max(...prefilled.slice(1, 10));
  const late = Math.max(...prefilled.slice(-10));
  assert.ok(late <= early + 4, `late turns pre-filled ${late} tokens, early ones ${early}`);
  // A turn restates the last reply and the new message, never the chat before them.
  assert.ok(Math.max(...restated) < 60, `turns restated up to ${Math.max(...restated)} tokens`);
  // The pinned prompt survived every eviction.
  const head = Array.from(engine.streams.chat.cache.tokens.subarray(0, stats.sinks + stats.pinned));
  assert.equal(engine.tokenizer.decode(head, true), '<|bos|><|im_start|>system\nYou help.<|im_end|>\n');
});

test('a new pinned prompt starts the chat stream over without reloading the model', async () => {
  const decoder = engine.decoder;
  engine.setPinnedPrompt('Answer in one word.');
  assert.equal(engine.decoder, decoder);
  const p = newProgress();
  await drain(engine.chat({ after: null, messages: [{ seq: 0, role: 'user', content: 'hi' }] }, greedy(3), p, () => {}));
  const stats = engine.stats().streams.chat;
  const head = Array.from(engine.streams.chat.cache.tokens.subarray(0, stats.sinks + stats.pinned));
  assert.equal(engine.tokenizer.decode(head, true), '<|bos|><|im_start|>system\nAnswer in one word.<|im_end|>\n');
  assert.equal(stats.windowCapacity, 96, 'the window keeps its size; the prompt has slots of its own');
});

test('a message longer than the window is clipped from the front, and says by how much', async () => {
  // ~200,000 tokens: more than a spread into a call's arguments survives; the prompt is
  // assembled without one.
  const long = `${'lorem ipsum dolor sit amet '.repeat(30_000)}the end`;
  const p = newProgress();
  await drain(engine.chat({ after: null, messages: [{ seq: 0, role: 'user', content: long }] }, greedy(2), p, () => {}));
  assert.ok((p.clipped ?? 0) > p.promptTokens - 200, `clipped ${p.clipped} of ${p.promptTokens}`);
  assert.ok(p.prefilledTokens <= 96 + 40, `pre-filled ${p.prefilledTokens}`);
  const stats = engine.stats().streams.chat;
  assert.ok(stats.sinks + stats.pinned + stats.window <= stats.capacity);
  // What the model kept is the end of the message.
  const kept = engine.tokenizer.decode(Array.from(engine.streams.chat.cache.tokens.subarray(0, engine.streams.chat.cache.length)), true);
  assert.ok(kept.includes('the end'), 'the end of the message is in the window');
});
