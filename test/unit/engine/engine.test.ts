import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Engine, newProgress } from '../../../src/engine/engine';
import { freshChat, type SeqChatMessage } from '../../../src/engine/protocol';
import { drain, FIXTURES, greedy } from './helpers';

let engine: Engine;
before(async () => {
  engine = await Engine.load({ modelDir: join(FIXTURES, 'stream-a'), sinks: 4, window: 124, pinnedSystemPrompt: 'You help.', threads: 1 });
});
after(() => engine.dispose());

test('a time budget ends the request with reason time', async () => {
  const progress = newProgress();
  const { value } = await drain(engine.chat(freshChat([{ role: 'user', content: 'x'.repeat(400) }]), greedy(100, { timeBudgetMs: 1 }), progress, () => {}));
  assert.equal(value, 'time');
});

test('a greedy chat reply is reproducible and a seeded sampled one too', async () => {
  const run = async (options = greedy(8)) => {
    engine.reset();
    const p = newProgress();
    await drain(engine.chat(freshChat([{ role: 'user', content: 'hello' }]), options, p, () => {}));
    return p.text;
  };
  assert.equal(await run(), await run());
  const sampled = greedy(8, { temperature: 1, topP: 0.9, seed: 42 });
  assert.equal(await run(sampled), await run(sampled));
});

test('chat turns reuse the stream, and the stream stays within its capacity for a long session', async () => {
  engine.reset();
  let reused = 0;
  let after: number | null = null;
  let seq = 0;
  let reply: string | undefined;
  for (let turn = 0; turn < 12; turn++) {
    const messages: SeqChatMessage[] = [];
    if (reply !== undefined) messages.push({ role: 'assistant', content: reply, seq: seq++ });
    messages.push({ role: 'user', content: `turn ${turn}: please explain streaming caches`, seq: seq++ });
    const p = newProgress();
    await drain(engine.chat({ after, messages }, greedy(10), p, () => {}));
    assert.equal(p.chatHeld, seq - 1, 'the stream holds the message it replied to');
    if (turn > 0) reused += p.promptTokens - p.prefilledTokens;
    after = p.chatHeld ?? null;
    reply = p.text;
  }
  const stats = engine.stats().streams.chat;
  assert.ok(reused > 0);
  assert.ok(stats.evictions > 0, 'the session outgrew the window');
  assert.ok(stats.sinks + stats.pinned + stats.window <= stats.capacity);
  assert.ok(stats.pinned > 0);
  // The pinned system prompt survived every eviction.
  const head = Array.from(engine.streams.chat.cache.tokens.subarray(0, stats.sinks + stats.pinned));
  assert.equal(engine.tokenizer.decode(head, true), '<|bos|><|im_start|>system\nYou help.<|im_end|>\n');
});

test('stop strings end the reply before the stop string', async () => {
  engine.reset();
  const p = newProgress();
  await drain(engine.chat(freshChat([{ role: 'user', content: 'hi' }]), greedy(30), p, () => {}));
  const full = p.text;
  assert.ok(full.length >= 5, `the reply ${JSON.stringify(full)} is too short to cut`);
  const cut = full.slice(3, 5);
  engine.reset();
  const q = newProgress();
  const { value } = await drain(engine.chat(freshChat([{ role: 'user', content: 'hi' }]), greedy(30, { stop: [cut] }), q, () => {}));
  assert.equal(value, 'stop');
  assert.equal(q.text, full.slice(0, full.indexOf(cut)));
});

test('typing at the cursor after a feed pre-fills only a handful of tokens', async () => {
  engine.reset();
  const context = {
    chunks: [{ path: 'u.ts', text: 'let two = 2;' }],
    path: 'main.ts',
    languageId: 'typescript',
    prefix: 'const y = tw',
    suffix: ';\n',
  };
  const fed = newProgress();
  await drain(engine.feed(context, fed));
  assert.equal(fed.prefilledTokens, fed.promptTokens);
  const typed = newProgress();
  await drain(engine.complete({ ...context, prefix: `${context.prefix}ice(2` }, greedy(3), typed, () => {}));
  assert.ok(typed.prefilledTokens > 0 && typed.prefilledTokens <= 6, `pre-filled ${typed.prefilledTokens} of ${typed.promptTokens}`);
  // A new context chunk goes in before the cursor block; the older chunk is not repeated.
  const more = newProgress();
  await drain(engine.feed({ ...context, chunks: [...context.chunks, { path: 'b.ts', text: 'let b = 1;' }] }, more));
  const text = engine.tokenizer.decode(Array.from(engine.streams.editor.cache.tokens.subarray(0, engine.streams.editor.cache.length)), true);
  assert.equal(text.split('u.ts').length - 1, 1);
  assert.ok(text.indexOf('b.ts') < text.indexOf('main.ts'));
});
