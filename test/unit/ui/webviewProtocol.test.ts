import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineStats, StreamStats } from '../../../src/engine/protocol';
import { MAX_MESSAGE_CHARS, PANEL_MESSAGE_CAP, parseHostToWebview, parseWebviewToHost } from '../../../src/webview/protocol';

const stream = (id: 'chat' | 'editor'): StreamStats => ({
  stream: id, mode: 'sink', capacity: 1024, sinks: 4, pinned: 12, window: 300, windowCapacity: 1008, free: 708,
  totalTokens: 5000, evictions: 3, tokensEvicted: 2000, lastEvictionMs: 1.5, prefillTokensPerSec: 3000,
  decodeTokensPerSec: 40, lastPrefillMs: 12, lastRequestLatencyMs: 250,
});
const stats: EngineStats = { model: 'm', streams: { chat: stream('chat'), editor: stream('editor') }, rssBytes: 1e8, uptimeMs: 1000 };

describe('messages from the webview', () => {
  it('accepts each well-formed message', () => {
    const good = [
      { type: 'ready' },
      { type: 'send', text: 'hello' },
      { type: 'stop' },
      { type: 'stop', shownChars: 12 },
      { type: 'newSession' },
      { type: 'attach', what: 'selection' },
      { type: 'attach', what: 'file' },
      { type: 'removeAttachment', id: 'a1' },
      { type: 'codeAction', action: 'insert', code: 'x()', language: 'ts' },
      { type: 'loadOlder', before: '3:120' },
      { type: 'loadLatest' },
    ];
    for (const message of good) assert.deepEqual(parseWebviewToHost(message), { ok: true, message });
  });

  it('drops fields it does not know', () => {
    assert.deepEqual(parseWebviewToHost({ type: 'send', text: 'hi', extra: 1 }), { ok: true, message: { type: 'send', text: 'hi' } });
  });

  it('rejects malformed messages with a reason', () => {
    const bad: [unknown, RegExp][] = [
      [null, /object with a string "type"/],
      ['send', /object with a string "type"/],
      [{ type: 'send' }, /"send" needs a string "text"/],
      [{ type: 'send', text: 5 }, /"send" needs a string "text"/],
      [{ type: 'attach', what: 'everything' }, /"selection" or "file"/],
      [{ type: 'codeAction', action: 'run', code: '', language: '' }, /"copy", "insert" or "newFile"/],
      [{ type: 'codeAction', action: 'copy', code: 1, language: '' }, /string "code" and "language"/],
      [{ type: 'eval', code: 'x' }, /unknown message type "eval"/],
      [{ type: 'stop', shownChars: -1 }, /whole number/],
      [{ type: 'send', text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }, /longer than/],
      [{ type: 'loadOlder' }, /"loadOlder" needs "before"/],
      [{ type: 'loadOlder', before: '' }, /"loadOlder" needs "before"/],
      [{ type: 'loadOlder', before: 'x'.repeat(1000) }, /"loadOlder" needs "before"/],
    ];
    for (const [message, reason] of bad) {
      const parsed = parseWebviewToHost(message);
      assert.equal(parsed.ok, false, JSON.stringify(message)?.slice(0, 80));
      if (!parsed.ok) assert.match(parsed.error, reason);
    }
  });
});

describe('messages to the webview', () => {
  it('accepts pages of messages, tokens, notices, statistics and engine state', () => {
    const messages = [
      { id: '0:0', role: 'user', text: 'hi', attachments: ['a.ts'], notice: 'Only the end of this message fitted the window.' },
      { id: '0:1', role: 'assistant', text: 'hello', attachments: [], finish: 'cancelled' },
    ];
    for (const message of [
      { type: 'transcript', streaming: true, hasOlder: true, messages },
      { type: 'append', streaming: false, messages },
      { type: 'older', before: '0:2', hasOlder: false, messages },
      { type: 'token', id: '0:1', text: 'lo' },
      { type: 'notice', text: 'Clipped.' },
    ]) {
      // Through JSON, as postMessage carries it: absent optional fields compare equal.
      assert.deepEqual(JSON.parse(JSON.stringify(parseHostToWebview(message))), { ok: true, message }, message.type);
    }
    assert.equal(parseHostToWebview({ type: 'stats', stats }).ok, true);
    assert.equal(parseHostToWebview({ type: 'engine', engine: { phase: 'failed', message: 'no model' } }).ok, true);
    assert.equal(parseHostToWebview({ type: 'attachments', chips: [{ id: 'a', label: 'x.ts', chars: 10, clippedNotice: 'Clipped' }] }).ok, true);
  });

  it('rejects statistics with a missing stream or a non-numeric counter', () => {
    const noEditor = { ...stats, streams: { chat: stream('chat') } };
    assert.equal(parseHostToWebview({ type: 'stats', stats: noEditor }).ok, false);
    const badCounter = { ...stats, streams: { chat: { ...stream('chat'), free: '7' }, editor: stream('editor') } };
    assert.equal(parseHostToWebview({ type: 'stats', stats: badCounter }).ok, false);
  });

  it('rejects a message with an unknown role or finish reason, or without an id', () => {
    const wrongRole = { type: 'transcript', streaming: false, hasOlder: false, messages: [{ id: 'a', role: 'system', text: 'x', attachments: [] }] };
    assert.match(JSON.stringify(parseHostToWebview(wrongRole)), /message 0 is malformed/);
    const wrongFinish = { type: 'append', streaming: false, messages: [{ id: 'a', role: 'assistant', text: 'x', attachments: [], finish: 'bored' }] };
    assert.equal(parseHostToWebview(wrongFinish).ok, false);
    const noId = { type: 'append', streaming: false, messages: [{ role: 'user', text: 'x', attachments: [] }] };
    assert.equal(parseHostToWebview(noId).ok, false);
    assert.equal(parseHostToWebview({ type: 'token', text: 'x' }).ok, false, 'a token names its reply');
    assert.equal(parseHostToWebview({ type: 'older', before: 'a', messages: [] }).ok, false, '"older" says whether more lie before');
  });

  it('refuses a page longer than the panel keeps', () => {
    const messages = Array.from({ length: PANEL_MESSAGE_CAP + 1 }, (_, i) => ({ id: `${i}`, role: 'user', text: 'x', attachments: [] }));
    assert.match(JSON.stringify(parseHostToWebview({ type: 'append', streaming: false, messages })), /at most 200/);
  });

  it('rejects an unknown engine phase', () => {
    assert.equal(parseHostToWebview({ type: 'engine', engine: { phase: 'sleeping' } }).ok, false);
  });
});
