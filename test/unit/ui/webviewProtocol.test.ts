import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineStats, StreamStats } from '../../../src/engine/protocol';
import { MAX_MESSAGE_CHARS, parseHostToWebview, parseWebviewToHost } from '../../../src/webview/protocol';

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
    ];
    for (const [message, reason] of bad) {
      const parsed = parseWebviewToHost(message);
      assert.equal(parsed.ok, false, JSON.stringify(message)?.slice(0, 80));
      if (!parsed.ok) assert.match(parsed.error, reason);
    }
  });
});

describe('messages to the webview', () => {
  it('accepts a transcript, statistics and engine state', () => {
    const transcript = {
      type: 'transcript',
      streaming: true,
      messages: [
        { role: 'user', text: 'hi', attachments: ['a.ts'] },
        { role: 'assistant', text: 'hello', attachments: [], finish: 'cancelled' },
      ],
    };
    assert.equal(parseHostToWebview(transcript).ok, true);
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

  it('rejects a transcript message with an unknown role or finish reason', () => {
    const wrongRole = { type: 'transcript', streaming: false, messages: [{ role: 'system', text: 'x', attachments: [] }] };
    assert.match(JSON.stringify(parseHostToWebview(wrongRole)), /message 0 is malformed/);
    const wrongFinish = { type: 'transcript', streaming: false, messages: [{ role: 'assistant', text: 'x', attachments: [], finish: 'bored' }] };
    assert.equal(parseHostToWebview(wrongFinish).ok, false);
  });

  it('rejects an unknown engine phase', () => {
    assert.equal(parseHostToWebview({ type: 'engine', engine: { phase: 'sleeping' } }).ok, false);
  });
});
