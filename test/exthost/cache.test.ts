import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { StreamStats } from '../../src/api';
import { endlessApi, waitFor } from './endless';

function assertLayout(s: StreamStats, sinks: number, window: number): void {
  const seen = JSON.stringify(s);
  assert.equal(s.sinks, sinks, `${s.stream}: sinks = endless.sinkTokens in ${seen}`);
  assert.equal(s.windowCapacity, window, `${s.stream}: window capacity = endless.windowTokens in ${seen}`);
  assert.equal(s.capacity, s.sinks + s.pinned + s.windowCapacity, `${s.stream}: capacity = sinks + pinned + window in ${seen}`);
  assert.ok(s.window >= 0 && s.window <= s.windowCapacity, `${s.stream}: window in use ${s.window} fits ${s.windowCapacity}`);
  assert.ok(s.free >= 0 && s.free <= s.capacity, `${s.stream}: free slots ${s.free} within capacity`);
}

describe('cache statistics', () => {
  const config = () => vscode.workspace.getConfiguration('endless');

  it('match the sink and window settings for both streams', async () => {
    const api = await endlessApi();
    const stats = await waitFor('cache statistics', () => api.stats());
    const sinks = config().get<number>('sinkTokens')!;
    const window = config().get<number>('windowTokens')!;
    assertLayout(stats.streams.chat, sinks, window);
    assertLayout(stats.streams.editor, sinks, window);
  });

  it('follow a change of endless.windowTokens', async () => {
    const api = await endlessApi();
    const original = config().get<number>('windowTokens')!;
    const changed = original + 64;
    await config().update('windowTokens', changed, vscode.ConfigurationTarget.Global);
    try {
      const stats = await waitFor(
        `window capacity ${changed}`,
        () => {
          const s = api.stats();
          return s && s.streams.chat.windowCapacity === changed ? s : undefined;
        },
        120_000,
      );
      await api.whenReady();
      assertLayout(stats.streams.chat, config().get<number>('sinkTokens')!, changed);
    } finally {
      await config().update('windowTokens', original, vscode.ConfigurationTarget.Global);
      await waitFor(`window capacity back to ${original}`, () => api.stats()?.streams.chat.windowCapacity === original, 120_000);
      await api.whenReady();
    }
  });

  it('stay within capacity when the chat outgrows the window', async () => {
    const api = await endlessApi();
    const window = config().get<number>('windowTokens')!;
    // Keep chatting until more tokens went through the chat stream than its window holds.
    let turns = 0;
    while ((api.stats()?.streams.chat.totalTokens ?? 0) <= window + 64 && turns < 40) {
      await api.chat(`Turn ${turns}: write a short Python function named f${turns} with a docstring.`);
      turns++;
    }
    const s = await waitFor('eviction statistics', () => {
      const chat = api.stats()?.streams.chat;
      return chat && chat.evictions > 0 ? chat : undefined;
    });
    assert.ok(s.totalTokens > s.windowCapacity, `more tokens streamed (${s.totalTokens}) than the window holds`);
    assert.ok(s.tokensEvicted > 0, 'old tokens were evicted');
    assertLayout(s, config().get<number>('sinkTokens')!, window);
    // The session goes on after eviction.
    const reply = await api.chat('One more: a function that doubles a number.');
    assert.ok(reply.trim().length > 0, 'the chat still answers after eviction');
  });
});
