// The chat panel's page (src/webview/main.ts, bundled as for the browser) in jsdom: keyboard,
// the input kept on failure, validation of what arrives, the cache bar's test handles.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EngineStats, StreamStats } from '../../../src/engine/protocol';
import type { HostToWebview } from '../../../src/webview/protocol';
import { openPanel, type Panel } from './panelPage';

function key(panel: Panel, init: KeyboardEventInit): boolean {
  const event = new panel.window.KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  return panel.input.dispatchEvent(event);
}

const stream = (id: 'chat' | 'editor', used: number): StreamStats => ({
  stream: id, mode: 'sink', capacity: 1024, sinks: 4, pinned: 10, window: used - 14, windowCapacity: 1010, free: 1024 - used,
  totalTokens: 3000, evictions: 2, tokensEvicted: 900, lastEvictionMs: 1, prefillTokensPerSec: 3000, decodeTokensPerSec: 40,
  lastPrefillMs: 20, lastRequestLatencyMs: 300,
});

describe('chat panel page', () => {
  let panel: Panel;
  beforeEach(async () => {
    panel = await openPanel();
  });
  afterEach(() => {
    // Stops the page's timers (the cache plot samples every second).
    panel.window.close();
  });

  it('asks for the state when it loads', () => {
    assert.deepEqual(panel.sent, [{ type: 'ready' }]);
  });

  it('sends on Enter and adds a line on Shift+Enter', () => {
    panel.input.value = 'hello';
    assert.equal(key(panel, { key: 'Enter', shiftKey: true }), true, 'Shift+Enter is left to the textarea');
    assert.equal(panel.sent.length, 1);
    assert.equal(key(panel, { key: 'Enter' }), false, 'Enter is taken');
    assert.deepEqual(panel.sent.at(-1), { type: 'send', text: 'hello' });
  });

  it('keeps the text until the host accepts it, and gets it back when sending fails', async () => {
    panel.input.value = 'please explain';
    panel.button('Send').click();
    assert.equal(panel.input.value, 'please explain');
    await panel.receive({ type: 'sendFailed', text: 'please explain', error: 'The model is not loaded: missing' } satisfies HostToWebview);
    assert.equal(panel.input.value, 'please explain');
    assert.match(panel.window.document.querySelector('[role="alert"]')!.textContent!, /not loaded/);
    panel.button('Send').click();
    await panel.receive({ type: 'sendAccepted' } satisfies HostToWebview);
    assert.equal(panel.input.value, '');
  });

  it('renders messages with their roles, replies as sanitised markdown', async () => {
    await panel.receive({
      type: 'transcript',
      streaming: false,
      hasOlder: false,
      messages: [
        { id: 'u', role: 'user', text: '<b>hi</b>', attachments: [] },
        { id: 'a', role: 'assistant', text: '**bold** <img src=x onerror=alert(1)>', attachments: [], finish: 'eos' },
      ],
    } satisfies HostToWebview);
    const document = panel.window.document;
    const [user, assistant] = [...document.querySelectorAll('[data-role]')];
    assert.equal(user.getAttribute('data-role'), 'user');
    assert.equal(user.querySelector('b'), null, 'user text is text');
    assert.equal(assistant.getAttribute('data-role'), 'assistant');
    assert.equal(assistant.querySelector('strong')?.textContent, 'bold');
    assert.equal(assistant.querySelector('img'), null);
  });

  it('streams tokens into the reply being written, with Stop on while it is', async () => {
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [] });
    await panel.receive({ type: 'append', streaming: true, messages: [{ id: 'q', role: 'user', text: 'q', attachments: [] }, { id: 'r', role: 'assistant', text: '', attachments: [] }] });
    assert.equal(panel.button('Stop').disabled, false);
    assert.equal(panel.button('Send').disabled, true);
    assert.match(panel.window.document.querySelector('[data-role="assistant"]')!.textContent!, /Thinking/);
    await panel.receive({ type: 'token', id: 'r', text: 'Hel' });
    await panel.receive({ type: 'token', id: 'other', text: 'XYZ' });
    await panel.receive({ type: 'token', id: 'r', text: 'lo' });
    const reply = panel.window.document.querySelector('[data-role="assistant"]')!;
    assert.equal(reply.getAttribute('aria-busy'), 'true');
    assert.match(reply.textContent!, /Hello/);
    key(panel, { key: 'Escape' });
    assert.deepEqual(panel.sent.at(-1), { type: 'stop', shownChars: 5 }, 'Stop says how much of the reply was shown');
    await panel.receive({ type: 'token', id: 'r', text: ' world, in transit' });
    assert.doesNotMatch(panel.window.document.querySelector('[data-role="assistant"]')!.textContent!, /world/, 'tokens after Stop are not shown');
    await panel.receive({ type: 'append', streaming: false, messages: [{ id: 'r', role: 'assistant', text: 'Hello', attachments: [], finish: 'cancelled' }] });
    assert.equal(panel.window.document.querySelectorAll('[data-role]').length, 2, 'the finished reply replaced the one being written');
    assert.equal(panel.window.document.querySelector('[aria-busy="true"]'), null);
    assert.equal(panel.button('Stop').disabled, true);
    assert.match(panel.window.document.querySelector('[data-role="assistant"]')!.textContent!, /Stopped\./);
  });

  it('shows each stream of the cache to scale with its numbers as attributes', async () => {
    const stats: EngineStats = { model: 'm', rssBytes: 1, uptimeMs: 1, streams: { chat: stream('chat', 300), editor: stream('editor', 1000) } };
    await panel.receive({ type: 'stats', stats } satisfies HostToWebview);
    const region = panel.window.document.querySelector('[role="region"][aria-label="Cache"]')!;
    const chat = region.querySelector<HTMLElement>('[data-stream="chat"]')!;
    assert.equal(chat.dataset.used, '300');
    assert.equal(chat.dataset.capacity, '1024');
    assert.equal(region.querySelector<HTMLElement>('[data-stream="editor"]')!.dataset.used, '1000');
    const widths = [...chat.querySelectorAll<HTMLElement>('.seg')].map((segment) => parseFloat(segment.style.width));
    assert.ok(Math.abs(widths.reduce((a, b) => a + b, 0) - 100) < 1e-6, `segments fill the bar: ${widths}`);
    assert.ok(Math.abs(widths[3] - (100 * 724) / 1024) < 1e-6, 'free slots to scale');
  });

  it('ignores a malformed message from the host', async () => {
    const before = panel.window.document.body.innerHTML;
    await panel.receive({ type: 'stats', stats: { model: 'm' } });
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [{ id: 's', role: 'system', text: 'x', attachments: [] }] });
    await panel.receive({ type: 'token', text: 'no id' });
    await panel.receive('<img src=x>');
    assert.equal(panel.window.document.body.innerHTML, before);
  });

  it('posts code block actions with the block\'s code and language', async () => {
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [{ id: 'a', role: 'assistant', text: '```py\nprint(1)\n```', attachments: [], finish: 'eos' }] });
    const insert = [...panel.window.document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === 'Insert code at cursor')!;
    insert.click();
    assert.deepEqual(panel.sent.at(-1), { type: 'codeAction', action: 'insert', code: 'print(1)\n', language: 'py' });
  });
});
