// The chat session (what the panel and the API drive) against the real worker bundle and a
// random-weight model: transcript saved after every message, Stop, New session, failures.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChatSession, type ChatEvent } from '../../../src/chat/chatSession';
import { TranscriptLog } from '../../../src/chat/transcriptLog';
import type { ChatTurn, GenerateOptions } from '../../../src/engine/protocol';
import { EngineClient } from '../../../src/host/engineClient';

const dir = mkdtempSync(join(tmpdir(), 'endless-chat-'));
/** What a restart would restore from the log on disk. */
const restored = () => new TranscriptLog({ dir, capBytes: 2 ** 20 }).restore(100);

const options = (maxTokens: number): GenerateOptions => ({
  maxTokens, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1, stop: [], timeBudgetMs: 0,
});

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('chat session with the real worker', () => {
  let engine: EngineClient;
  let maxTokens = 10;
  let log: TranscriptLog;
  let session: ChatSession;
  const events: ChatEvent[] = [];

  before(async () => {
    engine = new EngineClient(resolve('dist/worker.js'), {
      modelDir: resolve('test/fixtures/models/stream-a'), sinks: 4, window: 120, pinnedSystemPrompt: 'Be brief.', threads: 1,
    });
    engine.start();
    await engine.whenReady();
    log = new TranscriptLog({ dir, capBytes: 2 ** 20 });
    session = new ChatSession(engine, log, { generateOptions: () => options(maxTokens), restartChars: () => 400 });
    session.onEvent.on((event) => events.push(event));
  });

  after(async () => {
    await engine.dispose();
  });

  it('streams a reply and saves both messages', async () => {
    const pieces: string[] = [];
    const busyWhenShown: boolean[] = [];
    const watch = session.onEvent.on((event) => {
      if (event.type === 'transcript') busyWhenShown.push(session.busy);
    });
    const result = session.send('hello there', [], (piece) => pieces.push(piece));
    watch.dispose();
    assert.deepEqual(busyWhenShown, [true], 'the new message is shown with its reply being written');
    await log.flush();
    assert.deepEqual(restored().map((m) => m.text), ['hello there'], 'the message is saved at once');
    assert.equal(result.accepted, true);
    assert.equal(session.busy, true);
    const reply = await (result as { reply: Promise<string> }).reply;
    assert.equal(reply, pieces.join(''));
    assert.equal(session.busy, false);
    await log.flush();
    const saved = restored();
    assert.deepEqual(saved.map((m) => m.role), ['user', 'assistant']);
    assert.equal(saved[1].text, reply);
    assert.ok(events.some((event) => event.type === 'token'));
  });

  it('refuses a second message while a reply is being written, and empty messages', async () => {
    maxTokens = 30;
    const first = session.send('one');
    const second = session.send('two');
    assert.equal(second.accepted, false);
    assert.match((second as { error: string }).error, /still being written/);
    await (first as { reply: Promise<string> }).reply;
    const empty = session.send('   ');
    assert.equal(empty.accepted, false);
  });

  it('stops a reply at once and keeps what was written', async () => {
    maxTokens = 500;
    let pieces = 0;
    const result = session.send('go on and on', [], () => {
      pieces++;
      if (pieces === 2) session.stop();
    });
    await (result as { reply: Promise<string> }).reply;
    const last = session.view().at(-1)!;
    assert.equal(last.finish, 'cancelled');
    assert.ok(pieces < 6, `${pieces} pieces after Stop`);
  });

  it('cuts a stopped reply to what the panel had shown', async () => {
    maxTokens = 500;
    let shown = '';
    let pieces = 0;
    const result = session.send('keep going', [], (piece) => {
      pieces++;
      if (pieces <= 3) shown += piece;
      if (pieces === 3) session.stop(shown.length);
    });
    const reply = await (result as { reply: Promise<string> }).reply;
    assert.equal(reply, shown);
    assert.equal(session.view().at(-1)!.text, shown);
    assert.equal(session.transcript().at(-1)!.content, shown);
  });

  it('ends a reply as stopped when Stop crosses its last token', async () => {
    // A one-token reply: when its token arrives the worker has already finished it.
    maxTokens = 1;
    const pieces: string[] = [];
    const result = session.send('one more', [], (piece) => {
      pieces.push(piece);
      session.stop(piece.length);
    });
    const reply = await (result as { reply: Promise<string> }).reply;
    assert.equal(pieces.length, 1);
    assert.equal(reply, pieces[0], 'the reply keeps what was shown');
    assert.equal(session.view().at(-1)!.finish, 'cancelled');
  });

  it('folds attachments into what the model sees but shows their labels', async () => {
    maxTokens = 4;
    const result = session.send('what is this?', [{ id: 'x', label: 'a.py', languageId: 'python', text: 'print(1)' }]);
    await (result as { reply: Promise<string> }).reply;
    const transcript = session.transcript();
    const user = transcript.at(-2)!;
    assert.equal(user.content, 'a.py:\n```python\nprint(1)\n```\n\nwhat is this?');
    assert.deepEqual(session.view().at(-2)!.attachments, ['a.py']);
  });

  it('takes a message back and hands its text back when the engine fails before replying', async () => {
    const before = session.view().length;
    // A long message keeps the worker pre-filling while the settings change restarts the engine.
    const result = session.send(`this will fail ${'word '.repeat(3000)}`);
    await new Promise((r) => setTimeout(r, 0));
    void engine.reconfigure(engine.engineConfig);
    await assert.rejects((result as { reply: Promise<string> }).reply, /restarting with new settings/);
    assert.equal(session.view().length, before, 'the failed message left the transcript');
    assert.ok(events.some((event) => event.type === 'sendFailed' && event.text.startsWith('this will fail')));
    await engine.whenReady();
  });

  it('starts over with New session: empty transcript, cold chat stream', async () => {
    maxTokens = 4;
    await (session.send('warm up') as { reply: Promise<string> }).reply;
    await until(() => (engine.stats?.streams.chat.totalTokens ?? 0) > 0);
    await session.newSession();
    assert.deepEqual(session.view(), []);
    await log.flush();
    assert.deepEqual(restored(), []);
    await until(() => engine.stats?.streams.chat.totalTokens === 0);
  });

  it('answers a message sent right after New session; the reset is not applied to it', async () => {
    maxTokens = 6;
    await (session.send('before the new session') as { reply: Promise<string> }).reply;
    const reset = session.newSession();
    const result = session.send('first of the new session');
    assert.equal(result.accepted, true);
    await reset;
    await (result as { reply: Promise<string> }).reply;
    const last = session.view().at(-1)!;
    assert.ok(last.finish === 'eos' || last.finish === 'length', `the reply ended by ${last.finish}`);
    assert.deepEqual(session.view().map((m) => m.role), ['user', 'assistant']);
    await log.flush();
    assert.deepEqual(restored().map((m) => m.text)[0], 'first of the new session');
  });

  it('sends the worker only what is new: each turn after the first carries two messages', async () => {
    maxTokens = 3;
    await session.newSession();
    const turns: ChatTurn[] = [];
    const chat = engine.chat.bind(engine);
    engine.chat = (turn, opts, onToken) => {
      turns.push(turn);
      return chat(turn, opts, onToken);
    };
    try {
      for (let turn = 0; turn < 40; turn++) await (session.send(`turn ${turn}`) as { reply: Promise<string> }).reply;
    } finally {
      engine.chat = chat;
    }
    assert.equal(turns[0].after, null);
    assert.equal(turns[0].messages.length, 1);
    for (const turn of turns.slice(1)) {
      assert.notEqual(turn.after, null);
      assert.deepEqual(turn.messages.map((m) => m.role), ['assistant', 'user']);
    }
  });
});
