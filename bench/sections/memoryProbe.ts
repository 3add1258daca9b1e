// Runs in a process of its own (memory.ts starts it) so that nothing else the benchmark holds
// counts: starts the engine's real worker thread and streams chat turns of held-out code through
// it, printing one JSON line per sample: the position in the stream, the process RSS (the
// worker's thread lives in it) and the chat cache's capacity.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, SeqChatMessage, StreamStats, WorkerToHost } from '../../src/engine/protocol';

const [modelDir, sinks, window, maxChars, turnChars, textFile, root] = process.argv.slice(2);
const bundled = join(root, 'dist/worker.js');
const worker = existsSync(bundled)
  ? new Worker(bundled)
  : new Worker(`require('tsx/cjs'); require(${JSON.stringify(join(root, 'src/engine/worker.ts'))});`, { eval: true });
const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
emit({ worker: existsSync(bundled) ? 'dist/worker.js' : 'src/engine/worker.ts (tsx)', rssBeforeLoad: process.memoryUsage().rss });

let chat: StreamStats | undefined;
const waiting = new Map<number, (m: WorkerToHost) => void>();
let statsWaiter: (() => void) | null = null;
worker.on('message', (m: WorkerToHost) => {
  if (m.type === 'stats') {
    chat = m.stats.streams.chat;
    statsWaiter?.();
  } else if ('id' in m && m.id !== null && (m.type === 'done' || m.type === 'ready' || m.type === 'error')) waiting.get(m.id)?.(m);
});
const request = (m: HostToWorker) => new Promise<WorkerToHost>((resolve) => (waiting.set(m.id, resolve), worker.postMessage(m)));
const nextStats = () => new Promise<void>((resolve) => ((statsWaiter = resolve), setTimeout(resolve, 3000)));

async function main(): Promise<void> {
  const ready = await request({ type: 'init', id: 1, config: { modelDir, sinks: +sinks, window: +window, pinnedSystemPrompt: 'You are a helpful coding assistant.', threads: 1 } });
  if (ready.type === 'error') throw new Error(ready.message);
  await nextStats();
  emit({ position: 0, rss: process.memoryUsage().rss, capacity: chat?.capacity ?? 0 });
  const text = readFileSync(textFile, 'utf8');
  const options = { maxTokens: 1, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, stop: [], timeBudgetMs: 0, ignoreEos: true };
  // Each turn sends only its new messages after the last one the worker holds, as the chat panel does.
  let held: number | null = null;
  let seq = 0;
  let pending: SeqChatMessage[] = [];
  let id = 2;
  for (let at = 0; at < +maxChars; at += +turnChars) {
    const content = text.slice(at % text.length, (at % text.length) + +turnChars);
    pending.push({ role: 'user', content, seq: seq++ });
    const done = await request({ type: 'chat', id: id++, turn: { after: held, messages: pending }, options });
    if (done.type === 'error') throw new Error(done.message);
    pending = [];
    if (done.type === 'done') {
      held = done.chatHeld ?? null;
      pending.push({ role: 'assistant', content: done.text, seq: seq++ });
    }
    await nextStats();
    emit({ position: chat?.totalTokens ?? 0, rss: process.memoryUsage().rss, capacity: chat?.capacity ?? 0 });
  }
  await request({ type: 'shutdown', id: id++ });
  await worker.terminate();
}

main().catch((err: unknown) => {
  emit({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
