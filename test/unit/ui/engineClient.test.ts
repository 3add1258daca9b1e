// The engine client against the real worker bundle (dist/worker.js, built by `npm test` before
// the unit suites) and a real random-weight model: start, stream, cancel, stats, crash recovery.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EngineConfig, type EngineStats, freshChat, type GenerateOptions } from '../../../src/engine/protocol';
import { EngineClient, type EngineState } from '../../../src/host/engineClient';

const WORKER = resolve('dist/worker.js');
const MODEL = resolve('test/fixtures/models/stream-a');
const config: EngineConfig = { modelDir: MODEL, sinks: 4, window: 60, pinnedSystemPrompt: '', threads: 1 };
const options = (maxTokens: number): GenerateOptions => ({
  maxTokens,
  temperature: 0,
  topK: 0,
  topP: 1,
  repetitionPenalty: 1,
  seed: 1,
  stop: [],
  timeBudgetMs: 0,
});

function nextState(client: EngineClient, kind: EngineState['kind']): Promise<EngineState> {
  return new Promise((done) => {
    const subscription = client.onState.on((state) => {
      if (state.kind === kind) {
        subscription.dispose();
        done(state);
      }
    });
  });
}

describe('engine client with the real worker', () => {
  let client: EngineClient;
  const stats: EngineStats[] = [];

  before(() => {
    assert.ok(existsSync(WORKER), `${WORKER} is missing: run \`npm run build\` first`);
    client = new EngineClient(WORKER, config, { restartDelayMs: 50 });
    client.onStats.on((s) => stats.push(s));
    client.start();
  });

  after(async () => {
    await client.dispose();
  });

  it('loads the model and reports it', async () => {
    const model = await client.whenReady();
    assert.equal(model.dir, MODEL);
    assert.equal(model.interface, 'streaming');
    assert.equal(client.state.kind, 'ready');
  });

  it('streams a chat reply token by token, and the pieces make up the reply', async () => {
    const pieces: string[] = [];
    const generation = client.chat(freshChat([{ role: 'user', content: 'hello' }]), options(12), (piece) => pieces.push(piece));
    const done = await generation.done;
    assert.ok(['eos', 'length'].includes(done.reason), `finished by ${done.reason}`);
    assert.equal(pieces.join(''), done.text);
    assert.ok(done.usage && done.usage.generatedTokens > 0 && done.usage.generatedTokens <= 12);
  });

  it('pushes cache statistics laid out as configured', async () => {
    const deadline = Date.now() + 5000;
    while (!stats.some((s) => s.streams.chat.totalTokens > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const chat = stats.at(-1)!.streams.chat;
    assert.equal(chat.sinks, 4);
    assert.equal(chat.windowCapacity, 60);
    assert.equal(chat.capacity, chat.sinks + chat.pinned + chat.windowCapacity);
    assert.ok(chat.totalTokens > 0);
  });

  it('cancels a long reply within a few tokens', async () => {
    let pieces = 0;
    const generation = client.chat(freshChat([{ role: 'user', content: 'go on' }]), options(400), () => {
      pieces++;
      if (pieces === 2) generation.cancel();
    });
    const done = await generation.done;
    assert.equal(done.reason, 'cancelled');
    assert.ok(pieces < 2 + 4, `${pieces} pieces arrived`);
  });

  it('answers a completion request and a newer one supersedes it', async () => {
    const context = { chunks: [], path: 'a.ts', languageId: 'typescript', prefix: 'function f() {\n  ', suffix: '\n}\n' };
    const first = client.complete(context, options(200));
    const second = client.complete({ ...context, prefix: context.prefix + 'return' }, options(8));
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.reason, 'superseded');
    assert.ok(['eos', 'length'].includes(b.reason), `second finished by ${b.reason}`);
  });

  it('restarts a worker that crashed with a request in flight, which fails; replays init', async () => {
    const restarted = nextState(client, 'restarting');
    let pieces = 0;
    let crashed = false;
    const generation = client.chat(freshChat([{ role: 'user', content: 'again' }]), options(400), () => {
      pieces++;
      if (pieces === 2 && !crashed) {
        crashed = true;
        client.crashForTesting();
      }
    });
    await assert.rejects(generation.done, /The engine stopped unexpectedly \(the engine worker exited with code 70\); it is restarting/);
    assert.ok(crashed, 'the crash came while the reply was streaming');
    const waiting = client.chat(freshChat([{ role: 'user', content: 'during the restart' }]), options(4));
    await restarted;
    assert.ok(['eos', 'length'].includes((await waiting.done).reason), 'a request made during the restart is answered by the new worker');
    const model = await client.whenReady();
    assert.equal(model.dir, MODEL);
    assert.equal(client.restartCount, 1);
    const done = await client.chat(freshChat([{ role: 'user', content: 'after' }]), options(4)).done;
    assert.ok(done.text.length >= 0 && ['eos', 'length'].includes(done.reason));
  });
});

describe('engine client reconfigured', () => {
  it('fails what was in flight, then serves the new configuration', async () => {
    const client = new EngineClient(WORKER, config);
    client.start();
    try {
      await client.whenReady();
      const generation = client.chat(freshChat([{ role: 'user', content: 'long' }]), options(400));
      await new Promise((r) => setTimeout(r, 20));
      const restarted = client.reconfigure({ ...config, window: 80 });
      await assert.rejects(generation.done, /restarting with new settings/);
      await restarted;
      await client.whenReady();
      await client.chat(freshChat([{ role: 'user', content: 'hi' }]), options(2)).done;
      const deadline = Date.now() + 3000;
      while (client.stats?.streams.chat.windowCapacity !== 80 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(client.stats?.streams.chat.windowCapacity, 80);
      assert.equal(client.restartCount, 0, 'a reconfiguration is not a crash');
    } finally {
      await client.dispose();
    }
  });
});

describe('engine client disposed while requests wait', () => {
  it('ends a request made as dispose begins, and dispose returns', async () => {
    const client = new EngineClient(WORKER, config);
    client.start();
    await client.whenReady();
    const disposing = client.dispose();
    // The worker is going but the last state said ready: the request must fail, not wait in a
    // loop of retries that starves the event loop (and with it the worker's exit).
    const late = client.chat(freshChat([{ role: 'user', content: 'too late' }]), options(4));
    const outcome = await Promise.race([
      late.done.then(() => 'answered', (error: Error) => error.message),
      new Promise<string>((r) => setTimeout(() => r('still waiting'), 5000)),
    ]);
    assert.match(outcome, /shut down|not running/);
    await disposing;
    assert.equal(client.state.kind, 'stopped');
  });

  it('ends a request waiting for a model that is still loading', async () => {
    const client = new EngineClient(WORKER, config);
    client.start();
    const waiting = client.chat(freshChat([{ role: 'user', content: 'early' }]), options(4));
    const disposed = client.dispose();
    await assert.rejects(waiting.done, /shut down|stopped/);
    await disposed;
  });
});

describe('engine client with a model that cannot load', () => {
  it('reports the failure and does not restart in a loop', async () => {
    const client = new EngineClient(WORKER, { ...config, modelDir: resolve('test/fixtures/no-such-model') }, { restartDelayMs: 50 });
    client.start();
    try {
      await assert.rejects(client.whenReady(), /no-such-model/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(client.state.kind, 'failed');
      assert.equal(client.restartCount, 0);
    } finally {
      await client.dispose();
    }
  });
});
