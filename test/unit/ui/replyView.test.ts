// How much rendering a streamed reply costs: each complete block is rendered once (with the
// others completed in the same frame), and the
// block being written is re-rendered as markdown only while it is short, so the total work is
// linear in the reply and each frame's work is bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { LIVE_MARKDOWN_MAX_CHARS, ReplyView } from '../../../src/webview/replyView';

const { window } = new JSDOM('');
Object.assign(globalThis, { document: window.document });

/** A reply view whose renderers count the characters they are given. */
function counted() {
  const work = { blockChars: 0, blocks: 0, liveChars: 0, liveCalls: 0, largestLive: 0 };
  const body = window.document.createElement('div');
  const view = new ReplyView(
    body,
    (markdown: string) => {
      work.blockChars += markdown.length;
      work.blocks++;
      const fragment = window.document.createDocumentFragment();
      const element = window.document.createElement(markdown.startsWith('```') ? 'pre' : 'p');
      element.textContent = markdown;
      fragment.append(element);
      return fragment;
    },
    (markdown) => {
      work.liveChars += markdown.length;
      work.liveCalls++;
      work.largestLive = Math.max(work.largestLive, markdown.length);
      const fragment = window.document.createDocumentFragment();
      fragment.append(window.document.createElement('p'));
      return fragment;
    },
  );
  return { view, body, work };
}

function stream(view: ReplyView, text: string, piece: number): void {
  for (let at = 0; at < text.length; at += piece) {
    view.push(text.slice(at, at + piece));
    view.draw();
  }
  view.finish();
}

describe('drawing a streamed reply', () => {
  it('renders each block once, so the work is linear in the reply', () => {
    const unit = 'Some prose about the code.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n';
    const text = unit.repeat(2000);
    const { view, body, work } = counted();
    stream(view, text, 5);
    assert.equal(work.blockChars, text.length, 'every character went through the block renderer exactly once');
    assert.ok(work.blocks <= 4000, `${work.blocks} renders`);
    assert.ok(work.largestLive <= LIVE_MARKDOWN_MAX_CHARS, `live markdown stays short (${work.largestLive})`);
    // Live re-rendering is bounded by the open block, not by the reply: at most the block per frame.
    assert.ok(work.liveChars < 40 * text.length / 5, `live work ${work.liveChars} for ${text.length} chars`);
    assert.equal(body.textContent, text, 'all of it is shown, in order');
  });

  it('shows a long open block as plain text that only grows, then renders it once', () => {
    const { view, body, work } = counted();
    const line = 'word '.repeat(20_000);
    for (let at = 0; at < line.length; at += 100) {
      view.push(line.slice(at, at + 100));
      view.draw();
    }
    assert.ok(work.largestLive <= LIVE_MARKDOWN_MAX_CHARS, 'no markdown render of the long open text');
    assert.equal(body.querySelector('.live-text')?.textContent, line, 'the open text is all shown');
    view.finish();
    assert.equal(work.blockChars, line.length);
    assert.equal(body.querySelector('.live-text'), null);
  });

  it('shows an open fence as code that only grows, and counts what was shown', () => {
    const { view, body, work } = counted();
    view.push('```py\nprint(1)\n');
    view.draw();
    view.push('print(2)\n');
    view.draw();
    assert.equal(body.querySelector('.code-block.live')?.getAttribute('data-lang'), 'py');
    assert.equal(body.querySelector('.code-block.live code')?.textContent, 'print(1)\nprint(2)\n');
    assert.equal(work.blocks, 0, 'not rendered before it closes');
    view.push('```\nafter');
    assert.equal(view.shownChars, 24);
    assert.equal(view.pendingChars, 9);
    view.draw();
    assert.equal(work.blocks, 1, 'rendered once when it closed');
    assert.equal(body.querySelector('.code-block.live'), null);
  });

  it('draws at most a frame budget of text per frame', () => {
    const { view } = counted();
    view.push('x'.repeat(200_000));
    assert.equal(view.draw(50_000), true, 'more is waiting');
    assert.equal(view.shownChars, 50_000);
    while (view.draw(50_000));
    assert.equal(view.shownChars, 200_000);
  });
});
