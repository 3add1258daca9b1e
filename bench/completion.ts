// Completion latency over a recorded editing session (bench/completion-session.json, written by
// bench/recordSession.ts), replayed in real time through the same code the extension runs: the
// feed scheduler keeps the editor stream warm, the completion logic answers, the real engine
// worker (dist/worker.js) runs the real model. VS Code's part is played as it behaves: every
// edit cancels the request in flight and asks again 50 ms later (its inline-completion debounce,
// `InlineCompletionsDebounce` {min: 50, max: 50} in the workbench); cursor moves and editor
// switches ask nothing. Prints p50/p95 of provider time (request -> first item) and the tokens
// each request pre-filled.
//   npm run build && node --import tsx bench/completion.ts [--model DIR] [--session FILE]
//        [--delay MS] [--previous] [--json]
// --delay sets endless.completion.delayMs (default: its default).
// --previous replays the behaviour before the changes this benchmark was written for (feed
// 350 ms after any event, every request waits endless.completion.delayMs, a new generation per
// request, the item only once the generation ends), for a before/after comparison.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CancellationSource, pause, type Cancellation } from '../src/completion/cancellation';
import { Completer, type CompletionRequest } from '../src/completion/completer';
import { CompletionCache } from '../src/completion/completionCache';
import { contextLimits } from '../src/completion/contextBuilder';
import { type CursorSnapshot, FeedScheduler } from '../src/completion/feedScheduler';
import { applyStopRules, stopContextAt } from '../src/completion/stopRules';
import { completionOptions, DEFAULT_SETTINGS, plannedWindow } from '../src/config/settings';
import { packageRoot } from '../src/engine/packageRoot';
import type { EditorContext, Usage } from '../src/engine/protocol';
import { EngineClient, type Generation } from '../src/host/engineClient';
import type { Session } from './recordSession';

const ROOT = packageRoot(__dirname);
const VSCODE_DEBOUNCE_MS = 50;

interface Answered {
  ms: number;
  source: 'cache' | 'reuse' | 'model' | 'none';
  usage: Promise<Usage | undefined>;
}

/** One provider call as the replay sees it; resolves to undefined when VS Code cancelled it. */
type Provide = (request: CompletionRequest, token: Cancellation) => Promise<{ text: string; source: Answered['source']; usage: Promise<Usage | undefined> } | undefined>;

function quantiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), mean, max: sorted.at(-1) ?? NaN };
}

/** The behaviour before: one generation per request, answered when it ends. */
function previousProvider(engine: EngineClient, contextAt: (at: CursorSnapshot) => EditorContext, delayMs: number): Provide {
  const cache = new CompletionCache();
  let inFlight: Generation | undefined;
  return async (request, token) => {
    const context = contextAt(request);
    const prefix = request.text.slice(0, request.offset);
    const cached = cache.lookup(request.document, prefix, context.suffix);
    if (cached !== undefined) return { text: cached, source: 'cache', usage: Promise.resolve(undefined) };
    if (await pause(delayMs, token)) return undefined;
    const stop = stopContextAt(request.text, request.offset, 16);
    let streamed = '';
    let ruled = false;
    inFlight?.cancel();
    const generation = engine.complete(context, completionOptions(DEFAULT_SETTINGS), (piece) => {
      streamed += piece;
      if (!ruled && applyStopRules(streamed, stop, false).stopped) {
        ruled = true;
        generation.cancel();
      }
    });
    inFlight = generation;
    const subscription = token.onCancellationRequested(() => generation.cancel());
    try {
      const done = await generation.done;
      if (done.reason === 'superseded' || (done.reason === 'cancelled' && !ruled)) return undefined;
      const text = applyStopRules(done.text.length >= streamed.length ? done.text : streamed, stop, true).text;
      if (!text) return { text, source: 'none', usage: Promise.resolve(done.usage) };
      cache.remember(request.document, prefix, context.suffix, text);
      return { text, source: 'model', usage: Promise.resolve(done.usage) };
    } catch {
      return undefined;
    } finally {
      subscription.dispose();
    }
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: join(ROOT, 'models', 'default') },
      session: { type: 'string', default: join(ROOT, 'bench', 'completion-session.json') },
      delay: { type: 'string' },
      previous: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const workerPath = join(ROOT, 'dist', 'worker.js');
  if (!existsSync(workerPath)) throw new Error(`${workerPath} is missing: run \`npm run build\` first.`);
  const session = JSON.parse(readFileSync(values.session, 'utf8')) as Session;
  const settings = { ...DEFAULT_SETTINGS };
  if (values.delay !== undefined) settings.completionDelayMs = Number(values.delay);
  const engine = new EngineClient(workerPath, {
    modelDir: values.model,
    sinks: settings.sinkTokens,
    window: settings.windowTokens,
    pinnedSystemPrompt: '',
    threads: settings.threads,
  });
  engine.start();
  const model = await engine.whenReady();

  const texts: Record<string, string> = { ...session.files };
  let active = '';
  let cursor = 0;
  const snapshot = (): CursorSnapshot | undefined =>
    active ? { document: active, path: active, languageId: active.endsWith('.py') ? 'python' : 'typescript', text: texts[active], offset: cursor } : undefined;

  // The feed as the extension runs it; in --previous mode its own timers feed nothing and a
  // 350 ms debounced feed after any event stands in.
  const feed = new FeedScheduler(engine, () => contextLimits(plannedWindow(settings)), () => !values.previous, snapshot);
  let previousFeedTimer: NodeJS.Timeout | undefined;
  const previousFeed = () => {
    clearTimeout(previousFeedTimer);
    previousFeedTimer = setTimeout(() => {
      const at = snapshot();
      if (at) engine.feed(feed.contextAt(at));
    }, 350);
  };
  const completer = new Completer(engine, (at) => feed.contextAt(at), () => settings);
  const provide: Provide = values.previous
    ? previousProvider(engine, (at) => feed.contextAt(at), settings.completionDelayMs)
    : (request, token) => completer.complete(request, token);

  const answered: Answered[] = [];
  let asked = 0;
  let cancelled = 0;
  let current: CancellationSource | undefined;
  let debounce: NodeJS.Timeout | undefined;
  const ask = () => {
    const at = snapshot();
    if (!at) return;
    const source = new CancellationSource();
    current = source;
    asked++;
    const started = performance.now();
    void provide({ ...at, explicit: false }, source.token).then((result) => {
      if (source.token.isCancellationRequested) return void cancelled++;
      answered.push({ ms: performance.now() - started, source: result?.source ?? 'none', usage: result?.usage ?? Promise.resolve(undefined) });
    }, (error: Error) => console.error(`request failed: ${error.message}`));
  };
  const edited = () => {
    current?.cancel();
    clearTimeout(debounce);
    debounce = setTimeout(ask, VSCODE_DEBOUNCE_MS);
    if (values.previous) previousFeed();
    else feed.edited();
  };

  const started = performance.now();
  for (const [t, file, op, arg] of session.events) {
    const wait = started + t - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (op === 'open') {
      const left = snapshot();
      active = file;
      cursor = arg;
      current?.cancel();
      if (values.previous) previousFeed();
      else feed.switched(left && left.document !== file ? left : undefined);
    } else if (op === 'move') {
      cursor = arg;
      current?.cancel();
      if (values.previous) previousFeed();
      else feed.moved();
    } else if (op === 'type') {
      texts[file] = texts[file].slice(0, cursor) + arg + texts[file].slice(cursor);
      cursor += arg.length;
      edited();
    } else {
      texts[file] = texts[file].slice(0, cursor - arg) + texts[file].slice(cursor);
      cursor -= arg;
      edited();
    }
  }
  // Let the last request finish.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const usages = await Promise.all(answered.filter((a) => a.source === 'model').map((a) => a.usage));
  await engine.dispose();
  feed.dispose();
  clearTimeout(previousFeedTimer);

  const items = answered.filter((a) => a.source !== 'none');
  const bySource = Object.fromEntries(
    (['cache', 'reuse', 'model', 'none'] as const).map((source) => [source, quantiles(answered.filter((a) => a.source === source).map((a) => a.ms))]),
  );
  const result = {
    session: { file: values.session, events: session.events.length, seconds: session.events.at(-1)![0] / 1000 },
    model: model.name,
    behaviour: values.previous ? 'previous' : 'current',
    delayMs: settings.completionDelayMs,
    requests: { asked, cancelled, answered: answered.length, withItem: items.length },
    providerMs: quantiles(items.map((a) => a.ms)),
    answeredMs: quantiles(answered.map((a) => a.ms)),
    bySource,
    prefilledTokens: quantiles(usages.filter((u): u is Usage => u !== undefined).map((u) => u.prefilledTokens)),
    firstTokenMs: quantiles(usages.filter((u): u is Usage => u !== undefined).map((u) => u.firstTokenMs)),
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const ms = (q: { p50: number; p95: number; n: number }) => `p50 ${q.p50.toFixed(0)} ms, p95 ${q.p95.toFixed(0)} ms (${q.n})`;
  console.log(`completion replay: ${result.session.events} events over ${result.session.seconds.toFixed(0)} s, model ${model.name}, ${result.behaviour} behaviour`);
  console.log(`requests: ${asked} asked, ${cancelled} cancelled by typing, ${answered.length} answered, ${items.length} with an item`);
  console.log(`provider time, request -> first item: ${ms(result.providerMs)}`);
  for (const [source, q] of Object.entries(bySource)) if (q.n) console.log(`  ${source.padEnd(6)} ${ms(q)}`);
  const p = result.prefilledTokens;
  console.log(`tokens pre-filled per model request: p50 ${p.p50}, p95 ${p.p95}, mean ${p.mean.toFixed(1)} (${p.n})`);
  console.log(`engine first token per model request: ${ms(result.firstTokenMs)}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
