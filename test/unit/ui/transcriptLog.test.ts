// The chat transcript log on a real file system: append per message, restore from the tail,
// rotation into the archive within the cap, paging back, damaged lines, the old format.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateLegacyTranscript } from '../../../src/chat/legacyTranscript';
import { type StoredMessage, TranscriptLog } from '../../../src/chat/transcriptLog';

const fresh = () => mkdtempSync(join(tmpdir(), 'endless-log-'));

function message(log: TranscriptLog, text: string, role: 'user' | 'assistant' = 'user'): StoredMessage {
  return { id: log.nextId(), role, text, content: text, attachments: [] };
}

async function fill(log: TranscriptLog, count: number, size = 20): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let i = 0; i < count; i++) {
    const m = message(log, `message ${i} ${'x'.repeat(size)}`, i % 2 === 0 ? 'user' : 'assistant');
    all.push(m);
    void log.append(m);
  }
  await log.flush();
  return all;
}

describe('transcript log', () => {
  it('appends one line per message and restores the newest ones after a restart', async () => {
    const dir = fresh();
    const log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    const all = await fill(log, 30);
    assert.equal(readFileSync(log.logPath, 'utf8').trim().split('\n').length, 30);
    const again = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    assert.deepEqual(again.restore(10), all.slice(-10));
    // Ids keep growing across restarts.
    assert.equal(again.nextId(), all.at(-1)!.id + 1);
  });

  it('restores by reading the tail: the cost does not depend on the log length', async () => {
    const dir = fresh();
    const log = new TranscriptLog({ dir, capBytes: 2 ** 30 });
    await fill(log, 20000, 200);
    const size = statSync(log.logPath).size;
    assert.ok(size > 4 * 2 ** 20, `log of ${size} bytes`);
    const t0 = performance.now();
    const restored = new TranscriptLog({ dir, capBytes: 2 ** 30 }).restore(50);
    const ms = performance.now() - t0;
    assert.equal(restored.length, 50);
    assert.equal(restored.at(-1)!.text.startsWith('message 19999 '), true);
    // Reading 4+ MB and parsing 20,000 lines takes far longer than reading the last 64 KB twice.
    assert.ok(ms < 150, `restore took ${ms.toFixed(1)} ms`);
  });

  it('pages back through the chat, then stops at the start of the chat', async () => {
    const dir = fresh();
    const log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    await fill(log, 5);
    await log.startNewChat();
    const all = await fill(log, 45);
    const newest = new TranscriptLog({ dir, capBytes: 2 ** 20 }).restore(10);
    assert.deepEqual(newest, all.slice(-10));
    const seen: StoredMessage[] = [...newest];
    for (;;) {
      const page = await log.pageBefore(seen[0].id, 10);
      if (page.length === 0) break;
      assert.ok(page.length <= 10);
      seen.unshift(...page);
    }
    assert.deepEqual(seen, all, 'every message of this chat once, in order; none of the chat before');
  });

  it('rotates the oldest part into the archive and stays within the cap', async () => {
    const dir = fresh();
    const cap = 64 * 1024;
    const log = new TranscriptLog({ dir, capBytes: cap });
    const all = await fill(log, 2000, 100);
    const stored = statSync(log.logPath).size + statSync(log.archivePath).size;
    assert.ok(stored <= cap, `${stored} bytes stored, cap ${cap}`);
    assert.equal(log.storedBytes, stored);
    // The archive is plain JSON lines the user can open, and holds older messages.
    const archived = readFileSync(log.archivePath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StoredMessage);
    assert.ok(archived.length > 50);
    assert.ok(archived[0].id < all.at(-1)!.id);
    // A restart right after a rotation still shows the chat's newest messages.
    assert.deepEqual(new TranscriptLog({ dir, capBytes: cap }).restore(40), all.slice(-40));
    // Paging back crosses from the log into the archive without repeating a message.
    const seen = new TranscriptLog({ dir, capBytes: cap }).restore(20);
    for (let i = 0; i < 30; i++) {
      const page = await log.pageBefore(seen[0].id, 25);
      if (page.length === 0) break;
      seen.unshift(...page);
    }
    const ids = seen.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(seen.length > 100, `${seen.length} messages reachable`);
  });

  it('skips a torn last line with a warning, keeps everything before it, and appends after it', async () => {
    const dir = fresh();
    const log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    const all = await fill(log, 6);
    // A crash in the middle of a write leaves half a line.
    appendFileSync(log.logPath, '{"kind":"message","id":99,"role":"user","te');
    const warnings: string[] = [];
    const reopened = new TranscriptLog({ dir, capBytes: 2 ** 20, warn: (line) => warnings.push(line) });
    assert.deepEqual(reopened.restore(100), all);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /damaged line .* cut short/);
    const next = message(reopened, 'after the crash');
    await reopened.append(next);
    assert.deepEqual(new TranscriptLog({ dir, capBytes: 2 ** 20 }).restore(100), [...all, next]);
  });

  it('skips a damaged line in the middle and a message taken back', async () => {
    const dir = fresh();
    const log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    const [a, b] = await fill(log, 2);
    appendFileSync(log.logPath, 'not json\n{"kind":"message","id":50,"role":"robot","text":"","content":"","attachments":[]}\n');
    const c = message(log, 'taken back');
    await log.append(c);
    await log.drop(c.id);
    const d = message(log, 'kept');
    await log.append(d);
    assert.deepEqual(new TranscriptLog({ dir, capBytes: 2 ** 20 }).restore(100), [a, b, d]);
  });

  it('moves a transcript saved in workspaceState into the log and clears it', async () => {
    const dir = fresh();
    const values = new Map<string, unknown>([
      ['endless.chat.transcript', { format: 1, messages: [
        { role: 'user', text: 'hi', content: 'hi', attachments: [] },
        { role: 'assistant', text: 'hello', content: 'hello', attachments: [], finish: 'eos' },
        { role: 'robot' },
      ] }],
    ]);
    const state = {
      get: <T>(key: string) => values.get(key) as T | undefined,
      update: (key: string, value: unknown) => {
        values.set(key, value);
        return Promise.resolve();
      },
    };
    const log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    assert.equal(await migrateLegacyTranscript(state, log), 2);
    assert.equal(values.get('endless.chat.transcript'), undefined);
    const restored = new TranscriptLog({ dir, capBytes: 2 ** 20 }).restore(10);
    assert.deepEqual(restored.map((m) => [m.role, m.text, m.finish]), [['user', 'hi', undefined], ['assistant', 'hello', 'eos']]);
  });
});
