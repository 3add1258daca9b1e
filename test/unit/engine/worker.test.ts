import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { freshChat, type HostToWorker, type WorkerToHost } from '../../../src/engine/protocol';
import { FIXTURES, greedy, ROOT } from './helpers';

let worker: Worker;
const received: WorkerToHost[] = [];
const waiters: (() => void)[] = [];

function send(message: HostToWorker): void {
  worker.postMessage(message);
}

/** Resolves with the first message (after those already seen) that matches. */
async function until(match: (m: WorkerToHost) => boolean, timeoutMs = 20000): Promise<WorkerToHost> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = received.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for the worker');
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 200);
    });
  }
}

const finalFor = (id: number) => (m: WorkerToHost) => (m.type === 'done' || m.type === 'error' || m.type === 'ready') && m.id === id;

before(() => {
  // The worker runs from source through tsx's CommonJS hook (Node 20 does not pass --import hooks to workers).
  const entry = JSON.stringify(join(ROOT, 'src/engine/worker.ts'));
  worker = new Worker(`require('tsx/cjs'); require(${entry});`, { eval: true });
  worker.on('error', (err) => received.push({ type: 'error', id: null, message: `worker crashed: ${err.message}` }));
  worker.on('message', (m: WorkerToHost) => {
    received.push(m);
    waiters.splice(0).forEach((w) => w());
  });
});
after(() => worker.terminate());

test('requests before init get a clear error', async () => {
  send({ type: 'chat', id: 1, turn: freshChat([{ role: 'user', content: 'hi' }]), options: greedy(3) });
  const reply = await until(finalFor(1));
  assert.equal(reply.type, 'error');
  assert.match((reply as { message: string }).message, /send init first/);
});

test('init with a bad model directory reports where', async () => {
  send({ type: 'init', id: 2, config: { modelDir: '/no/such/model', sinks: 4, window: 60, pinnedSystemPrompt: '', threads: 1 } });
  const reply = await until(finalFor(2));
  assert.equal(reply.type, 'error');
  assert.match((reply as { message: string }).message, /model directory not found: \/no\/such\/model/);
});

test('init → ready with the model; chat streams tokens then done; stats are pushed', async () => {
  send({ type: 'init', id: 3, config: { modelDir: join(FIXTURES, 'stream-a'), sinks: 4, window: 124, pinnedSystemPrompt: 'Be brief.', threads: 1 } });
  const ready = await until(finalFor(3));
  assert.equal(ready.type, 'ready');
  if (ready.type !== 'ready') return;
  assert.equal(ready.model.interface, 'streaming');
  assert.equal(ready.model.layers, 3);
  assert.equal(ready.model.hasFim, true);

  send({ type: 'chat', id: 4, turn: freshChat([{ role: 'user', content: 'say <|im_end|> please' }]), options: greedy(12) });
  const done = await until(finalFor(4));
  assert.equal(done.type, 'done');
  if (done.type !== 'done') return;
  const streamed = received.filter((m) => m.type === 'token' && m.id === 4).map((m) => (m as { text: string }).text).join('');
  assert.equal(streamed, done.text);
  assert.ok(done.usage.promptTokens > 10);
  assert.equal(done.usage.prefilledTokens, done.usage.promptTokens);
  assert.ok(done.usage.generatedTokens > 0);

  const stats = await until((m) => m.type === 'stats' && m.stats.streams.chat.totalTokens > 0);
  if (stats.type !== 'stats') return;
  const chat = stats.stats.streams.chat;
  assert.equal(chat.sinks, 4);
  assert.ok(chat.pinned > 0, 'the system prompt is pinned after the sinks');
  // The pinned prompt has slots of its own: the rolling window keeps the size it was given.
  assert.equal(chat.windowCapacity, 124);
  assert.equal(chat.capacity, 4 + chat.pinned + 124);
  assert.equal(chat.sinks + chat.pinned + chat.window + chat.free, chat.capacity);
  assert.ok(stats.stats.rssBytes > 0);
});

test('the next chat turn pre-fills only what the stream lacks', async () => {
  const first = received.find((m) => m.type === 'done' && m.id === 4) as Extract<WorkerToHost, { type: 'done' }>;
  send({
    type: 'chat',
    id: 5,
    // Only what is new since the message the worker acknowledged.
    turn: {
      after: first.chatHeld ?? null,
      messages: [
        { role: 'assistant', content: first.text, seq: 1 },
        { role: 'user', content: 'again', seq: 2 },
      ],
    },
    options: greedy(4),
  });
  const done = await until(finalFor(5));
  assert.equal(done.type, 'done');
  if (done.type !== 'done') return;
  // The turn restates the reply the stream already holds (all but a last token that never went
  // through the model) and pre-fills only the new message and its scaffolding.
  const reused = done.usage.promptTokens - done.usage.prefilledTokens;
  assert.ok(reused >= first.usage.generatedTokens - 1, `reused ${reused} of ${done.usage.promptTokens}`);
  assert.ok(done.usage.prefilledTokens < 30, `prefilled ${done.usage.prefilledTokens}`);
  assert.equal(done.chatHeld, 2);
});

test('cancel ends a running reply; complete and feed serve the editor stream; reset empties it', async () => {
  send({ type: 'chat', id: 6, turn: freshChat([{ role: 'user', content: 'long' }]), options: greedy(500) });
  await until((m) => m.type === 'token' && m.id === 6);
  send({ type: 'cancel', id: 7, target: 6 });
  const cancelled = await until(finalFor(6));
  assert.equal(cancelled.type === 'done' && cancelled.reason, 'cancelled');

  const context = { chunks: [{ path: 'a.py', text: 'x = 1' }], path: 'b.py', languageId: 'python', prefix: 'def f(', suffix: ')' };
  send({ type: 'feed', id: 8, context });
  assert.equal((await until(finalFor(8))).type, 'done');
  send({ type: 'complete', id: 9, context: { ...context, prefix: 'def f(a' }, options: greedy(3) });
  const completion = await until(finalFor(9));
  assert.equal(completion.type, 'done');
  if (completion.type !== 'done') return;
  assert.ok(completion.usage.prefilledTokens < completion.usage.promptTokens, 'the feed warmed the cache');

  send({ type: 'reset', id: 10, stream: 'editor' });
  assert.equal((await until(finalFor(10))).type, 'done');
  const after = await until((m) => m.type === 'stats' && m.stats.streams.editor.totalTokens === 0);
  assert.equal(after.type === 'stats' && after.stats.streams.editor.free, 128);
});

test('shutdown answers and ends the worker', async () => {
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  send({ type: 'shutdown', id: 11 });
  assert.equal((await until(finalFor(11))).type, 'done');
  await exited;
});
