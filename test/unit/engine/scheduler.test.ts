import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Engine, newProgress } from '../../../src/engine/engine';
import { type EditorContext, type FinishReason, freshChat } from '../../../src/engine/protocol';
import { type Job, type JobKind, type JobOutcome, Scheduler } from '../../../src/engine/scheduler';
import { FIXTURES, greedy } from './helpers';

let engine: Engine;
let runs = 0;

before(async () => {
  engine = await Engine.load({ modelDir: join(FIXTURES, 'stream-a'), sinks: 4, window: 252, pinnedSystemPrompt: 'Be brief.', threads: 1 });
  // Count forward passes through the one place that runs the model.
  const run = engine.decoder.run.bind(engine.decoder);
  engine.decoder.run = (...args) => {
    runs++;
    return run(...args);
  };
});
after(() => engine.dispose());

const context = (prefix: string): EditorContext => ({ chunks: [{ path: 'a.ts', text: 'const a = 1;' }], path: 'b.ts', languageId: 'typescript', prefix, suffix: '\n}' });

interface Tracked {
  job: Job;
  outcome: Promise<JobOutcome>;
  order: () => number;
}

let finished = 0;
function job(id: number, kind: JobKind, steps: (p: ReturnType<typeof newProgress>) => AsyncGenerator<void, FinishReason, void>): Tracked {
  const progress = newProgress();
  let resolve!: (o: JobOutcome) => void;
  let reject!: (e: Error) => void;
  let at = -1;
  const outcome = new Promise<JobOutcome>((res, rej) => ((resolve = res), (reject = rej)));
  const tracked: Job = {
    id,
    kind,
    stream: kind === 'chat' ? 'chat' : 'editor',
    progress,
    steps: steps(progress),
    finish: (o) => {
      at = finished++;
      if (o instanceof Error) reject(o);
      else resolve(o);
    },
  };
  return { job: tracked, outcome, order: () => at };
}

const chatJob = (id: number, maxTokens: number) =>
  job(id, 'chat', (p) => engine.chat(freshChat([{ role: 'user', content: `question ${id}` }]), greedy(maxTokens), p, () => {}));
const completeJob = (id: number, prefix: string, maxTokens = 4) =>
  job(id, 'complete', (p) => engine.complete(context(prefix), greedy(maxTokens), p, () => {}));

test('a newer completion supersedes an older one before it runs', async () => {
  const scheduler = new Scheduler();
  const before = runs;
  const older = completeJob(1, 'function f() {');
  const newer = completeJob(2, 'function f() { ret');
  scheduler.submit(older.job);
  scheduler.submit(newer.job);
  const a = await older.outcome;
  const b = await newer.outcome;
  assert.equal(a.reason, 'superseded');
  assert.equal(a.progress.prefilledTokens, 0, 'the superseded completion never ran');
  assert.ok(b.reason === 'length' || b.reason === 'eos', b.reason);
  assert.ok(b.progress.prefilledTokens > 0);
  assert.ok(runs > before);
});

test('a newer feed supersedes an older feed', async () => {
  const scheduler = new Scheduler();
  const first = job(3, 'feed', (p) => engine.feed(context('let x'), p));
  const second = job(4, 'feed', (p) => engine.feed(context('let xy'), p));
  scheduler.submit(first.job);
  scheduler.submit(second.job);
  assert.equal((await first.outcome).reason, 'superseded');
  assert.equal((await second.outcome).reason, 'length');
});

test('cancel takes effect before the next forward step', async () => {
  const scheduler = new Scheduler();
  const chat = chatJob(5, 200);
  let runsAtCancel = -1;
  scheduler.onStep = () => {
    if (runsAtCancel < 0 && chat.job.progress.generatedTokens >= 3) {
      // Arrives like a message: on a later turn of the event loop.
      setImmediate(() => {
        runsAtCancel = runs;
        scheduler.cancel(5);
      });
    }
  };
  scheduler.submit(chat.job);
  const outcome = await chat.outcome;
  assert.equal(outcome.reason, 'cancelled');
  assert.ok(runsAtCancel > 0);
  assert.equal(runs, runsAtCancel, 'no forward pass ran after the cancel arrived');
  assert.ok(outcome.progress.generatedTokens >= 3 && outcome.progress.generatedTokens < 200);
});

test('a completion is not starved by a long chat reply', async () => {
  const scheduler = new Scheduler();
  const chat = chatJob(6, 120);
  let submitted = false;
  const complete = completeJob(7, 'let y = ', 4);
  scheduler.onStep = () => {
    if (!submitted && chat.job.progress.generatedTokens >= 2) {
      submitted = true;
      scheduler.submit(complete.job);
    }
  };
  scheduler.submit(chat.job);
  const [c, d] = await Promise.all([chat.outcome, complete.outcome]);
  assert.ok(d.reason === 'length' || d.reason === 'eos', d.reason);
  assert.ok(d.progress.prefilledTokens > 0);
  assert.ok(complete.order() < chat.order(), 'the completion finished while the chat reply was still running');
  assert.ok(c.progress.generatedTokens > 20, `chat generated ${c.progress.generatedTokens}`);
});

test('a failing job reports its error and the scheduler keeps serving', async () => {
  const scheduler = new Scheduler();
  const bad = job(8, 'chat', (p) => engine.chat(freshChat([]), greedy(5), p, () => {}));
  const good = completeJob(9, 'x', 2);
  scheduler.submit(bad.job);
  scheduler.submit(good.job);
  await assert.rejects(bad.outcome, /at least one message/);
  assert.ok(['length', 'eos'].includes((await good.outcome).reason));
});
