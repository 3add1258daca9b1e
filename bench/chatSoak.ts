// Chat turns without the editor: the extension's ChatSession, its transcript log and the real
// engine worker with the bundled model, in plain Node (no VS Code, no panel). Shows whether a
// turn's cost depends on how many came before it, over more turns than the VS Code soak fits
// into its time budget on a small machine.
//   node --import tsx bench/chatSoak.ts [--turns N] [--minutes M] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChatSession } from '../src/chat/chatSession';
import { TranscriptLog } from '../src/chat/transcriptLog';
import { CACHE_DEFAULTS, CHAT_GENERATION } from '../src/engine/defaults';
import { EngineClient } from '../src/host/engineClient';

const { values } = parseArgs({ options: { turns: { type: 'string' }, minutes: { type: 'string' }, json: { type: 'boolean' }, model: { type: 'string' } } });
const turns = Number(values.turns ?? 5000);
const budgetMs = Number(values.minutes ?? 5) * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'endless-chat-soak-'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
};

async function main(): Promise<void> {
  const engine = new EngineClient(resolve('dist/worker.js'), {
    modelDir: resolve(values.model ?? 'models/default'),
    sinks: CACHE_DEFAULTS.sinks,
    window: 0,
    pinnedSystemPrompt: CACHE_DEFAULTS.pinnedSystemPrompt,
    threads: 1,
  });
  engine.start();
  await engine.whenReady();
  const log = new TranscriptLog({ dir, capBytes: 50 * 2 ** 20 });
  const session = new ChatSession(engine, log, { generateOptions: () => ({ ...CHAT_GENERATION, maxTokens: 8, seed: 1 }), restartChars: () => 4000 });
  const rows: { firstTokenMs: number; overheadMs: number; prefilled: number; rssMb: number }[] = [];
  const started = Date.now();
  for (let turn = 0; turn < turns && Date.now() - started < budgetMs; turn++) {
    const sent = performance.now();
    let first = 0;
    const result = session.send(`Question ${turn}: what does this loop do?`, [], () => {
      if (first === 0) first = performance.now();
    });
    if (!result.accepted) throw new Error(result.error);
    await result.reply;
    const wall = performance.now() - sent;
    const usage = session.lastUsage;
    rows.push({
      firstTokenMs: (first || performance.now()) - sent,
      overheadMs: Math.max(0, wall - (usage?.totalMs ?? wall)),
      prefilled: usage?.prefilledTokens ?? 0,
      rssMb: process.memoryUsage().rss / 2 ** 20,
    });
  }
  await log.flush();
  const tenth = Math.max(1, Math.floor(rows.length / 10));
  const first = rows.slice(1, tenth + 1);
  const last = rows.slice(-tenth);
  const summary = {
    turns: rows.length,
    firstTokenMs: { first: median(first.map((r) => r.firstTokenMs)), last: median(last.map((r) => r.firstTokenMs)) },
    turnOverheadMs: { first: median(first.map((r) => r.overheadMs)), last: median(last.map((r) => r.overheadMs)) },
    prefilledTokens: { first: median(first.map((r) => r.prefilled)), last: median(last.map((r) => r.prefilled)) },
    rssMb: { start: rows[tenth]?.rssMb ?? 0, end: rows.at(-1)?.rssMb ?? 0 },
    storedBytes: log.storedBytes,
    chatTokens: engine.stats?.streams.chat.totalTokens ?? 0,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(values.json ? JSON.stringify(summary) : summary);
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
