import * as assert from 'node:assert/strict';
import { endlessApi, waitFor } from './endless';

describe('worker crash', () => {
  it('restarts the worker and answers again', async () => {
    const api = await endlessApi();
    const restarts = api.restartCount();
    api.crashWorkerForTesting();
    await waitFor('the worker restart', () => api.restartCount() > restarts, 60_000);
    const model = await api.whenReady();
    assert.ok(model.name.length > 0, 'the model is loaded again');
    const pieces: string[] = [];
    const reply = await api.chat('Say hello in Python.', (piece) => pieces.push(piece));
    assert.ok(pieces.length > 0 && reply.trim().length > 0, 'the restarted worker streams a reply');
  });
});
