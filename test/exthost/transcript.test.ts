import * as assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { TranscriptLog } from '../../src/chat/transcriptLog';
import { endlessApi, waitFor } from './endless';

describe('chat transcript log', () => {
  it('writes each message to the log in the workspace storage, and the log restores the chat', async () => {
    const api = await endlessApi();
    const reply = await api.chat('Remember the word lighthouse.');
    const { logPath, storedBytes, capBytes } = api.storage();
    assert.ok(storedBytes > 0 && storedBytes <= capBytes, `${storedBytes} bytes stored, cap ${capBytes}`);
    // What activation does after a restart (the browser suite reloads the window for real):
    // read the newest messages back from the log's tail.
    const restored = await waitFor('the reply in the log', () => {
      const messages = new TranscriptLog({ dir: dirname(logPath), capBytes }).restore(200);
      return messages.at(-1)?.content === reply ? messages : undefined;
    });
    assert.deepEqual(
      restored.slice(-2).map((m) => [m.role, m.content]),
      [['user', 'Remember the word lighthouse.'], ['assistant', reply]],
    );
    assert.deepEqual(restored.map((m) => m.content), api.transcript().map((m) => m.content));
  });

  it('pages back to older messages by id, as the panel does on scroll-up', async () => {
    const api = await endlessApi();
    await api.chat('One more message.');
    const { logPath, capBytes } = api.storage();
    const newest = new TranscriptLog({ dir: dirname(logPath), capBytes }).restore(2);
    const older = await api.olderMessages(newest[0].id, 3);
    assert.ok(older.length > 0, 'older messages are there');
    assert.ok(older.every((m) => m.id < newest[0].id));
    assert.deepEqual(older.map((m) => m.id), [...older.map((m) => m.id)].sort((a, b) => a - b));
  });
});
