// Input too big for the window: a chat message of a few megabytes is clipped from the front to
// what the window can use (no stack overflow on the way), and the reply says how much was left out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dispatcher } from '../../../src/engine/dispatch';
import { freshChat, type WorkerToHost } from '../../../src/engine/protocol';
import { FIXTURES, greedy } from './helpers';

function bigMessage(bytes: number): string {
  const line = 'const value = compute(items[index], "text") + 42; // a line of a very long paste\n';
  return `${line.repeat(Math.ceil(bytes / line.length))}and the question at the very end?`;
}

test('a 3 MB chat message is clipped to the window and the reply reports it', { timeout: 300_000 }, async () => {
  const messages: WorkerToHost[] = [];
  let wake = () => {};
  const dispatcher = new Dispatcher(
    (m) => {
      messages.push(m);
      wake();
    },
    () => {},
  );
  const reply = async (id: number) => {
    for (;;) {
      const found = messages.find((m) => (m.type === 'done' || m.type === 'error' || m.type === 'ready') && m.id === id);
      if (found) return found;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  dispatcher.handle({ type: 'init', id: 1, config: { modelDir: join(FIXTURES, 'stream-a'), sinks: 4, window: 124, pinnedSystemPrompt: '', threads: 1 } });
  assert.equal((await reply(1)).type, 'ready');
  const content = bigMessage(3_000_000);
  dispatcher.handle({ type: 'chat', id: 2, turn: freshChat([{ role: 'user', content }]), options: greedy(4) });
  const done = await reply(2);
  assert.equal(done.type, 'done', JSON.stringify(done));
  if (done.type !== 'done') return;
  const { usage } = done;
  assert.ok(usage.promptTokens > 300_000, `the whole message was tokenized (${usage.promptTokens} tokens)`);
  assert.ok(usage.prefilledTokens < 124, `only what the window can use was run (${usage.prefilledTokens} tokens)`);
  assert.ok(usage.clipped !== undefined && usage.clipped > usage.promptTokens - 124, `clipped ${usage.clipped} of ${usage.promptTokens}`);
  assert.equal(done.reason, 'length');
  // A short message that fits carries no notice.
  dispatcher.handle({ type: 'chat', id: 3, turn: freshChat([{ role: 'user', content: 'hi' }]), options: greedy(2) });
  const short = await reply(3);
  assert.equal(short.type, 'done');
  if (short.type === 'done') assert.equal(short.usage.clipped, undefined);
  dispatcher.handle({ type: 'shutdown', id: 4 });
  await reply(4);
});
