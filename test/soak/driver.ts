// The soak inside VS Code's extension host: a long session of chat turns interleaved with
// typing (keystroke by keystroke, with inline completions asked for as the editor does),
// edits across several files and file switches. Chat turns go through the extension's API:
// the same ChatSession, transcript log, engine worker and panel updates as the panel's Send.
// Samples are written to ENDLESS_SOAK_RESULTS as JSON when the session ends.
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as vscode from 'vscode';
import type { EndlessApi } from '../../src/api';

interface Plan {
  turns: number;
  keystrokes: number;
  /** Chat turns and keystrokes before sampling starts (see warmUp). */
  warmup: { turns: number; keystrokes: number };
  /** Stop early (with what was done) once this much time has passed. */
  budgetMs: number;
}

export interface TurnSample {
  turn: number;
  /** From the send to the first streamed piece, as the API's caller sees it. */
  firstTokenMs: number;
  /** Wall time of the turn minus the worker's time for the request (host, transfer, panel). */
  overheadMs: number;
  /**
   * CPU time the extension host's process (every thread: host, engine worker, runtime) spent
   * during the turn: the turn's cost, read apart from how busy the rest of the machine is.
   */
  cpuMs: number;
  tokens: number;
  /** Extension-host RSS after the turn and a full collection (the worker thread lives in the same process). */
  rssMb: number;
  /** The host's JavaScript heap in use after that collection: RSS growth without heap growth is native memory. */
  heapMb: number;
  /** Keystrokes typed so far. */
  keystrokes: number;
}

const FILES = ['soak/alpha.ts', 'soak/beta.py', 'soak/gamma.ts', 'soak/delta.js'];
/** Typed text, a line at a time: code a user might write. */
const LINES = [
  'const total = items.reduce((sum, item) => sum + item.price, 0);',
  'function scale(value: number, factor: number) { return value * factor; }',
  'if (result.length > limit) { result = result.slice(0, limit); }',
  'for (const entry of entries) { counts.set(entry.key, (counts.get(entry.key) ?? 0) + 1); }',
  'export const ready = Promise.all(tasks.map((task) => task.run()));',
];
const QUESTIONS = ['What does reduce do here?', 'Name one edge case.', 'Shorter, please.', 'Is this idiomatic?', 'Why a Map?'];
/** Lines a file may grow to before the oldest typed lines are deleted, as a user tidies up. */
const MAX_LINES = 120;

function plan(): Plan {
  const read = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return {
    turns: read('ENDLESS_SOAK_TURNS', 1000),
    keystrokes: read('ENDLESS_SOAK_KEYSTROKES', 10000),
    warmup: { turns: read('ENDLESS_SOAK_WARMUP_TURNS', 120), keystrokes: read('ENDLESS_SOAK_WARMUP_KEYSTROKES', 1000) },
    budgetMs: read('ENDLESS_SOAK_BUDGET_MS', 600_000),
  };
}

function log(line: string): void {
  console.log(`[soak] ${line}`);
  const file = process.env.ENDLESS_SOAK_LOG;
  if (file) writeFileSync(file, `${line}\n`, { flag: 'a' });
}

async function api(): Promise<EndlessApi> {
  const extension = vscode.extensions.getExtension<EndlessApi>('endless.endless');
  if (!extension) throw new Error('the Endless extension is not installed in this window');
  const endless = await extension.activate();
  await endless.whenReady();
  return endless;
}

/**
 * The files typed into, each already as long as typing keeps it on average (between half of
 * MAX_LINES and MAX_LINES), so that what an editor request carries is as large at the first
 * sampled turn as at the last.
 */
async function openFiles(folder: vscode.Uri): Promise<vscode.TextDocument[]> {
  const documents: vscode.TextDocument[] = [];
  for (const relative of FILES) {
    const uri = vscode.Uri.joinPath(folder, relative);
    const body = Array.from({ length: (MAX_LINES * 3) / 4 }, (_, i) => LINES[i % LINES.length]).join('\n');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(`// ${relative}\n${body}\n`));
    documents.push(await vscode.workspace.openTextDocument(uri));
  }
  return documents;
}

/** Types `count` characters into `editor` one keystroke at a time, asking for completions as the editor would. */
async function type(endless: EndlessApi, editor: vscode.TextEditor, count: number, state: { line: number; column: number }): Promise<void> {
  for (let i = 0; i < count; i++) {
    const text = LINES[state.line % LINES.length];
    const char = state.column < text.length ? text[state.column] : '\n';
    const at = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    await editor.edit((edit) => edit.insert(at, char), { undoStopBefore: false, undoStopAfter: false });
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    if (char === '\n') {
      state.line++;
      state.column = 0;
    } else state.column++;
    // A pause after a word: the inline provider is asked, as VS Code asks it after typing stops.
    if (char === ' ' || char === '\n') await endless.provideCompletion(editor.document, end);
  }
  if (editor.document.lineCount > MAX_LINES) {
    const cut = new vscode.Range(1, 0, editor.document.lineCount - MAX_LINES / 2, 0);
    await editor.edit((edit) => edit.delete(cut));
  }
}

/**
 * A full garbage collection of the extension host's heap where the runtime allows one, so that
 * the RSS samples show what is still held rather than when V8 last chose to collect. Fetched
 * once: each fetch makes a new V8 context.
 */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    // Without it the samples still show RSS, only noisier.
    return () => undefined;
  }
})();

/**
 * Before sampling, the session reaches its steady state, where everything the product bounds
 * is at its bound: chat turns until the chat window evicts and the messages kept in memory and
 * the panel's DOM are at their caps, then typing with completions in every file until the editor
 * stream and the runtime's buffers have met requests of every size the typing brings (RSS rose
 * by ~50 MB over the first ~900 keystrokes of a run and then stayed within a few MB). Growth up
 * to a bound is not growth with the session's length, which is what the samples look for.
 */
async function warmUp(
  endless: EndlessApi,
  documents: vscode.TextDocument[],
  state: { line: number; column: number },
  plan: { turns: number; keystrokes: number },
  deadline: number,
): Promise<void> {
  let turns = 0;
  for (; turns < plan.turns && Date.now() < deadline; turns++) {
    await endless.chat(`${QUESTIONS[turns % QUESTIONS.length]} (warm-up ${turns})`, () => undefined);
  }
  let typed = 0;
  for (let file = 0; typed < plan.keystrokes && Date.now() < deadline; file++) {
    const editor = await vscode.window.showTextDocument(documents[file % documents.length]);
    const count = Math.min(100, plan.keystrokes - typed);
    await type(endless, editor, count, state);
    typed += count;
  }
  log(`warm-up: ${turns} turns, ${typed} keystrokes`);
}

export async function run(): Promise<void> {
  const results = process.env.ENDLESS_SOAK_RESULTS;
  const { turns, keystrokes, warmup, budgetMs } = plan();
  const started = Date.now();
  const endless = await api();
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) throw new Error('the soak needs a workspace folder');
  await vscode.commands.executeCommand('endless.openChat');
  await endless.newSession();
  const documents = await openFiles(folder);
  const perTurn = Math.ceil(keystrokes / Math.max(1, turns));
  const samples: TurnSample[] = [];
  const state = { line: 0, column: 0 };
  await warmUp(endless, documents, state, warmup, started + budgetMs / 3);
  let typed = 0;
  let editor = await vscode.window.showTextDocument(documents[0]);
  for (let turn = 0; turn < turns && Date.now() - started < budgetMs; turn++) {
    const cpu = process.cpuUsage();
    const sent = performance.now();
    let first = 0;
    await endless.chat(`${QUESTIONS[turn % QUESTIONS.length]} (turn ${turn})`, () => {
      if (first === 0) first = performance.now();
    });
    const wall = performance.now() - sent;
    const spent = process.cpuUsage(cpu);
    const usage = endless.lastChatUsage();
    collectGarbage();
    const memory = process.memoryUsage();
    samples.push({
      turn,
      firstTokenMs: (first || performance.now()) - sent,
      overheadMs: Math.max(0, wall - (usage?.totalMs ?? wall)),
      cpuMs: (spent.user + spent.system) / 1000,
      tokens: usage?.generatedTokens ?? 0,
      rssMb: memory.rss / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
      keystrokes: typed,
    });
    // Typing between turns, switching files now and then, with an edit in another file.
    const count = Math.min(perTurn, keystrokes - typed);
    if (count > 0) {
      if (turn % 10 === 0) {
        editor = await vscode.window.showTextDocument(documents[(turn / 10) % documents.length]);
        const other = documents[(turn / 10 + 1) % documents.length];
        const edit = new vscode.WorkspaceEdit();
        edit.insert(other.uri, new vscode.Position(1, 0), `// note ${turn}\n`);
        await vscode.workspace.applyEdit(edit);
        if (other.lineCount > MAX_LINES) {
          const trim = new vscode.WorkspaceEdit();
          trim.delete(other.uri, new vscode.Range(1, 0, other.lineCount - MAX_LINES / 2, 0));
          await vscode.workspace.applyEdit(trim);
        }
      }
      await type(endless, editor, count, state);
      typed += count;
    }
    if (turn % 50 === 0) log(`turn ${turn}: first token ${samples.at(-1)!.firstTokenMs.toFixed(0)} ms, rss ${samples.at(-1)!.rssMb.toFixed(0)} MB, ${typed} keystrokes`);
  }
  const stats = endless.stats();
  const storage = endless.storage();
  const summary = {
    samples,
    keystrokes: typed,
    tokensStreamed: (stats?.streams.chat.totalTokens ?? 0) + (stats?.streams.editor.totalTokens ?? 0),
    storedBytes: storage.storedBytes,
    storageCapBytes: storage.capBytes,
    seconds: (Date.now() - started) / 1000,
  };
  if (results) writeFileSync(results, JSON.stringify(summary));
  // Unsaved files would prompt when the window closes; the soak's folder is scratch.
  await vscode.commands.executeCommand('workbench.action.files.saveAll');
}
