// The host hands a reply's tokens to the panel at most once per frame, in order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBatcher } from '../../../src/chat/tokenBatcher';

const frame = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('token batching for the panel', () => {
  it('delivers the tokens of one frame as one message', async () => {
    const delivered: [string, string][] = [];
    const batcher = new TokenBatcher((id, text) => delivered.push([id, text]), 20);
    for (const piece of ['He', 'll', 'o', ',', ' wor', 'ld']) batcher.add('r1', piece);
    assert.deepEqual(delivered, [], 'nothing is posted per token');
    await frame(60);
    assert.deepEqual(delivered, [['r1', 'Hello, world']]);
    batcher.add('r1', '!');
    await frame(60);
    assert.deepEqual(delivered, [['r1', 'Hello, world'], ['r1', '!']]);
  });

  it('delivers at once when flushed, and keeps replies apart', () => {
    const delivered: [string, string][] = [];
    const batcher = new TokenBatcher((id, text) => delivered.push([id, text]), 1000);
    batcher.add('a', 'x');
    batcher.add('a', 'y');
    batcher.add('b', 'z');
    assert.deepEqual(delivered, [['a', 'xy']], 'a new reply delivers the last one first');
    batcher.flush();
    batcher.flush();
    assert.deepEqual(delivered, [['a', 'xy'], ['b', 'z']]);
    batcher.add('c', 'dropped');
    batcher.clear();
    batcher.flush();
    assert.equal(delivered.length, 2);
  });
});
