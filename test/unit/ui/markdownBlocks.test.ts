// The streaming block splitter: the same blocks however the text is cut into pieces, fences
// kept whole (blank lines inside them included), text cut at blank lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockSplitter, splitBlocks } from '../../../src/webview/markdownBlocks';

const REPLY = [
  'Here is a function:',
  '',
  '```python',
  'def f(x):',
  '',
  '    return x * 2',
  '```',
  'It doubles.',
  '',
  '',
  '- one',
  '- two',
  '',
  '~~~~',
  '```not a close',
  '~~~~',
  'tail without newline',
].join('\n');

/** Streams `text` in pieces of the given sizes (repeating), collecting blocks as they complete. */
function streamed(text: string, sizes: number[]) {
  const splitter = new BlockSplitter();
  const blocks = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length];
    splitter.push(text.slice(at, at + size));
    blocks.push(...splitter.take());
    at += size;
  }
  splitter.finish();
  blocks.push(...splitter.take());
  return blocks;
}

describe('markdown blocks while streaming', () => {
  it('keeps fences whole and cuts text at blank lines', () => {
    assert.deepEqual(splitBlocks(REPLY), [
      { kind: 'text', text: 'Here is a function:\n\n' },
      { kind: 'fence', text: '```python\ndef f(x):\n\n    return x * 2\n```\n' },
      { kind: 'text', text: 'It doubles.\n\n' },
      { kind: 'text', text: '- one\n- two\n\n' },
      { kind: 'fence', text: '~~~~\n```not a close\n~~~~\n' },
      { kind: 'text', text: 'tail without newline' },
    ]);
  });

  it('gives the same blocks however the text is cut', () => {
    const whole = splitBlocks(REPLY);
    for (const sizes of [[1], [2, 3], [7], [4, 1, 9], [1000]]) assert.deepEqual(streamed(REPLY, sizes), whole, `pieces of ${sizes}`);
  });

  it('names the open fence and where its code starts', () => {
    const splitter = new BlockSplitter();
    splitter.push('Intro\n``');
    assert.equal(splitter.current.kind, 'text');
    splitter.push('`ts extra\nconst a');
    assert.deepEqual(splitter.take(), [{ kind: 'text', text: 'Intro\n' }]);
    const open = splitter.current;
    assert.equal(open.kind, 'fence');
    assert.equal(open.language, 'ts');
    assert.equal(open.pieces.slice(open.headPieces).join(''), 'const a');
  });

  it('leaves an unclosed fence open until the end, then completes it', () => {
    const splitter = new BlockSplitter();
    splitter.push('```\n' + 'x'.repeat(50_000));
    assert.deepEqual(splitter.take(), []);
    splitter.finish();
    const [block] = splitter.take();
    assert.equal(block.kind, 'fence');
    assert.equal(block.text.length, 4 + 50_000);
  });
});
