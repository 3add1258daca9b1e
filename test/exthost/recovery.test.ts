import * as assert from 'node:assert/strict';
import { endlessApi, waitFor } from './endless';

describe('worker crash', () => {
  it('a crash with a reply in flight fails that reply; the worker restarts and answers again', async () => {
    const api = await endlessApi();
    const restarts = api.restartCount();
    let streamed = 0;
    const inFlight = api.chat('Write a detailed tutorial on hash maps in JavaScript, with many examples.', () => {
      if (++streamed === 3) api.crashWorkerForTesting();
    });
    await assert.rejects(inFlight, /The engine stopped unexpectedly \(the engine worker exited with code 70\)/);
    assert.ok(streamed >= 3, 'the crash came while the reply was streaming');
    await waitFor('the worker restart', () => api.restartCount() > restarts, 60_000);
    const model = await api.whenReady();
    assert.ok(model.name.length > 0, 'the model is loaded again');
    const pieces: string[] = [];
    const reply = await api.chat('Say hello in Python.', (piece) => pieces.push(piece));
    assert.ok(pieces.length > 0 && reply.trim().length > 0, 'the restarted worker streams a reply');
  });
});
