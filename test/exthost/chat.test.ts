import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { endlessApi, waitFor } from './endless';

describe('chat', () => {
  it('streams a reply token by token from the model', async () => {
    const api = await endlessApi();
    const pieces: string[] = [];
    const before = api.stats()?.streams.chat.totalTokens ?? 0;
    const reply = await api.chat('Write a Python function that returns the sum of a list.', (piece) => pieces.push(piece));
    assert.ok(pieces.length >= 2, `more than one streamed piece (got ${pieces.length})`);
    assert.equal(pieces.join(''), reply, 'the streamed pieces make up the reply');
    assert.ok(reply.trim().length > 0, 'the reply is not empty');
    const stats = await waitFor('chat stats after the reply', () => {
      const s = api.stats();
      return s && s.streams.chat.totalTokens > before ? s : undefined;
    });
    assert.ok(stats.streams.chat.totalTokens >= before + pieces.length, 'every streamed token went through the chat cache');
  });

  it('keeps the turns in the saved transcript', async () => {
    const api = await endlessApi();
    const reply = await api.chat('And in TypeScript?');
    const transcript = api.transcript();
    const last = transcript.slice(-2);
    assert.deepEqual(
      last.map((m) => m.role),
      ['user', 'assistant'],
    );
    assert.equal(last[0].content, 'And in TypeScript?');
    assert.equal(last[1].content, reply);
  });

  it('stops a reply with endless.stop', async () => {
    const api = await endlessApi();
    let pieces = 0;
    let stopped: Thenable<unknown> | undefined;
    const reply = await api.chat('Write a detailed tutorial on hash maps in JavaScript, with many examples.', () => {
      pieces++;
      if (pieces === 3) stopped = vscode.commands.executeCommand('endless.stop');
    });
    await stopped;
    assert.ok(pieces >= 3, 'the reply had started streaming');
    // Stop is immediate: at most the tokens already in flight arrive after it.
    assert.ok(pieces < 3 + 8, `the reply ended soon after Stop (${pieces} pieces)`);
    assert.equal(typeof reply, 'string');
    assert.equal(api.chatView().at(-1)?.finish, 'cancelled', 'the reply is marked as stopped');
  });
});
