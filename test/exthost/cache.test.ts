import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EndlessApi, StreamStats } from '../../src/api';
import { endlessApi, openWorkspaceFile, waitFor } from './endless';

const config = () => vscode.workspace.getConfiguration('endless');

/**
 * The cache layout is [sinks | pinned | window | free]: capacity = sinks + pinned + window,
 * with sinks and window as set, pinned the chat's system prompt, and the slots in use plus
 * the free ones adding up to the capacity. `sinks` and `pinned` in the statistics count the
 * slots filled, so they are compared once the stream holds at least the sinks.
 */
function assertLayout(s: StreamStats, window = config().get<number>('windowTokens')!): void {
  const sinks = config().get<number>('sinkTokens')!;
  const seen = `${s.stream} stream: ${JSON.stringify(s)}`;
  assert.equal(s.windowCapacity, window, `window capacity = endless.windowTokens; ${seen}`);
  assert.equal(s.sinks, sinks, `sinks = endless.sinkTokens; ${seen}`);
  assert.equal(s.capacity, sinks + s.pinned + window, `capacity = sinks + pinned + window; ${seen}`);
  assert.ok(s.window <= s.windowCapacity, `window in use fits the window; ${seen}`);
  assert.equal(s.sinks + s.pinned + s.window + s.free, s.capacity, `used + free = capacity; ${seen}`);
}

/** Statistics of a stream once it has taken in tokens beyond `after` (and at least the sinks). */
function streamFed(api: EndlessApi, stream: 'chat' | 'editor', after = 0): Promise<StreamStats> {
  return waitFor(`the ${stream} stream to take in tokens`, () => {
    const s = api.stats()?.streams[stream];
    return s && s.totalTokens > after && s.sinks + s.pinned + s.window >= config().get<number>('sinkTokens')! ? s : undefined;
  });
}

describe('cache statistics', () => {
  it('match the sink and window settings in the chat stream', async () => {
    const api = await endlessApi();
    await api.chat('What does a Python list comprehension look like?');
    const chat = await streamFed(api, 'chat');
    assert.ok(chat.pinned > 0, 'the system prompt is pinned after the sinks');
    assertLayout(chat);
  });

  it('match the sink and window settings in the editor stream', async () => {
    const api = await endlessApi();
    // The editor stream is fed from the editors the user works in.
    await openWorkspaceFile('src/shapes.ts');
    assertLayout(await streamFed(api, 'editor'));
  });

  it('follow a change of endless.windowTokens', async () => {
    const api = await endlessApi();
    const original = config().get<number>('windowTokens')!;
    const changed = original + 64;
    await config().update('windowTokens', changed, vscode.ConfigurationTarget.Global);
    try {
      await waitFor(`window capacity ${changed}`, () => api.stats()?.streams.chat.windowCapacity === changed, 120_000);
      await api.whenReady();
      await api.chat('Name one sorting algorithm.');
      assertLayout(await streamFed(api, 'chat'), changed);
    } finally {
      await config().update('windowTokens', original, vscode.ConfigurationTarget.Global);
      await waitFor(`window capacity back to ${original}`, () => api.stats()?.streams.chat.windowCapacity === original, 120_000);
      await api.whenReady();
    }
  });

  it('stay within capacity when the chat outgrows the window', async () => {
    const api = await endlessApi();
    const window = config().get<number>('windowTokens')!;
    const start = api.stats()?.streams.chat.totalTokens ?? 0;
    // Keep chatting until more tokens went through the chat stream than its window holds.
    let turns = 0;
    while ((api.stats()?.streams.chat.totalTokens ?? 0) - start <= window + 64 && turns < 40) {
      await api.chat(`Turn ${turns}: write a short Python function named f${turns} with a docstring.`);
      turns++;
    }
    const s = await waitFor('eviction statistics', () => {
      const chat = api.stats()?.streams.chat;
      return chat && chat.evictions > 0 ? chat : undefined;
    });
    assert.ok(s.totalTokens > s.windowCapacity, `more tokens streamed (${s.totalTokens}) than the window holds`);
    assert.ok(s.tokensEvicted > 0, 'old tokens were evicted');
    assertLayout(s);
    // The session goes on after eviction.
    const reply = await api.chat('One more: a function that doubles a number.');
    assert.ok(reply.trim().length > 0, 'the chat still answers after eviction');
  });

  it('refuse a window beyond the positions the model was trained on, naming the largest that fits', async () => {
    const api = await endlessApi();
    const original = config().get<number>('windowTokens')!;
    await config().update('windowTokens', 4096, vscode.ConfigurationTarget.Global);
    try {
      // The engine restarts with the new window; its load then fails and whenReady says why.
      const deadline = Date.now() + 60_000;
      let failure: Error | undefined;
      while (!failure && Date.now() < deadline) {
        failure = await api.whenReady().then(
          () => new Promise<undefined>((resolve) => setTimeout(resolve, 200)),
          (error: Error) => error,
        );
      }
      assert.ok(failure, 'the engine refused the window within a minute');
      assert.match(failure.message, /exceeds max_position_embeddings \(\d+\).*use a window of at most \d+ tokens/);
    } finally {
      await config().update('windowTokens', original, vscode.ConfigurationTarget.Global);
      await waitFor(`window capacity back to ${original}`, () => api.stats()?.streams.chat.windowCapacity === original, 120_000);
      await api.whenReady();
    }
  });
});
