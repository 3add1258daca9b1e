// `endless`: the engine from a terminal, for evaluation and benchmarks.
//   endless generate --model DIR --prompt TEXT [--max-tokens N] [--stream chat|editor]
//   endless ppl --model DIR --text FILE --mode sink|window|dense|recompute --sinks S --window W
//   endless check-cache --model DIR --text FILE --sinks S --window W
// Every command takes --json. --model defaults to the bundled models/default.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CACHE_DEFAULTS, CLI_GENERATION } from './defaults';
import { Engine, loadDecoder, newProgress } from './engine';
import { EngineInputError } from './errors';
import { cacheCheckPassed, checkCache, perplexity } from './evaluate';
import { loadModelDir } from './modelDir';
import { defaultModelDir } from './packageRoot';
import { type CacheMode, freshChat, type GenerateOptions } from './protocol';
import { TextTokenizer } from './tokenizer';

const USAGE = `usage:
  endless generate --model DIR --prompt TEXT [--max-tokens N] [--stream chat|editor] [--temperature T] [--seed N] [--system TEXT]
  endless ppl --model DIR --text FILE --mode sink|window|dense|recompute --sinks S --window W
  endless check-cache --model DIR --text FILE --sinks S --window W
common options: --json  --threads N  (--model defaults to the bundled model)`;

const OPTIONS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'max-tokens': { type: 'string' },
  stream: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  seed: { type: 'string' },
  system: { type: 'string' },
  text: { type: 'string' },
  mode: { type: 'string' },
  sinks: { type: 'string' },
  window: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function numberArg(values: Values, name: keyof typeof OPTIONS, fallback: number, integer = true): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new EngineInputError(`--${name} must be ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readText(values: Values): string {
  if (!values.text) throw new EngineInputError('--text FILE is required');
  let text: string;
  try {
    text = readFileSync(values.text, 'utf8');
  } catch (err) {
    throw new EngineInputError(`cannot read --text ${values.text}: ${(err as Error).message}`);
  }
  if (text.trim().length === 0) throw new EngineInputError(`--text ${values.text} is empty: give it a file with text to stream`);
  return text;
}

function print(json: boolean, data: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
}

async function generateCommand(values: Values): Promise<void> {
  const prompt = values.prompt;
  if (prompt === undefined || prompt.length === 0) throw new EngineInputError('--prompt TEXT is required and must not be empty');
  const stream = values.stream ?? 'chat';
  if (stream !== 'chat' && stream !== 'editor') throw new EngineInputError(`--stream must be chat or editor, got ${stream}`);
  const engine = await Engine.load({
    modelDir: values.model ?? defaultModelDir(),
    sinks: numberArg(values, 'sinks', CACHE_DEFAULTS.sinks),
    window: numberArg(values, 'window', CACHE_DEFAULTS.window),
    pinnedSystemPrompt: values.system ?? '',
    threads: numberArg(values, 'threads', CACHE_DEFAULTS.threads),
  });
  const options: GenerateOptions = {
    ...CLI_GENERATION,
    maxTokens: numberArg(values, 'max-tokens', CLI_GENERATION.maxTokens),
    temperature: numberArg(values, 'temperature', CLI_GENERATION.temperature, false),
    topK: numberArg(values, 'top-k', CLI_GENERATION.topK),
    topP: numberArg(values, 'top-p', CLI_GENERATION.topP, false),
    repetitionPenalty: numberArg(values, 'repetition-penalty', CLI_GENERATION.repetitionPenalty, false),
    seed: values.seed === undefined ? undefined : numberArg(values, 'seed', 0),
  };
  const progress = newProgress();
  const t0 = performance.now();
  const emit = (text: string) => {
    if (!values.json) process.stdout.write(text);
  };
  const steps =
    stream === 'chat'
      ? engine.chat(freshChat([{ role: 'user', content: prompt }]), options, progress, emit)
      : engine.complete({ chunks: [], path: 'untitled', languageId: 'plaintext', prefix: prompt, suffix: '' }, options, progress, emit);
  let step = await steps.next();
  while (!step.done) step = await steps.next();
  const totalMs = performance.now() - t0;
  const usage = {
    promptTokens: progress.promptTokens,
    prefilledTokens: progress.prefilledTokens,
    generatedTokens: progress.generatedTokens,
    firstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - t0 : 0,
    totalMs,
  };
  const result = { model: engine.info, stream, reason: step.value, text: progress.text, usage, stats: engine.stats().streams[stream] };
  if (values.json) print(true, result, '');
  else process.stdout.write(`\n[${step.value}; ${usage.generatedTokens} tokens in ${totalMs.toFixed(0)} ms]\n`);
  await engine.dispose();
}

async function loadForEval(values: Values) {
  const model = loadModelDir(values.model ?? defaultModelDir());
  const tokenizer = new TextTokenizer(model);
  const decoder = await loadDecoder(model, numberArg(values, 'threads', CACHE_DEFAULTS.threads));
  const text = readText(values);
  const sink = tokenizer.special.sink;
  const ids = [...(sink === undefined ? [] : [sink]), ...tokenizer.encodeText(text)];
  const sinks = numberArg(values, 'sinks', CACHE_DEFAULTS.sinks);
  const window = numberArg(values, 'window', CACHE_DEFAULTS.window);
  if (sinks < 0) throw new EngineInputError(`--sinks must be ≥ 0, got ${sinks}`);
  if (window <= sinks) throw new EngineInputError(`--window (${window}) must be larger than --sinks (${sinks})`);
  return { model, decoder, ids, sinks, window };
}

async function pplCommand(values: Values): Promise<void> {
  const mode = (values.mode ?? 'sink') as CacheMode;
  if (!['sink', 'window', 'dense', 'recompute'].includes(mode)) {
    throw new EngineInputError(`--mode must be sink, window, dense or recompute, got ${mode}`);
  }
  const { model, decoder, ids, sinks, window } = await loadForEval(values);
  const report = await perplexity({ decoder, arch: model.arch, mode, sinks, window }, ids);
  const human = [
    `${model.name} · ${mode} · sinks ${report.sinks} · window ${window} · ${report.tokens} tokens · ${report.seconds.toFixed(1)} s`,
    `perplexity ${report.perplexity.toFixed(3)}`,
    ...report.segments.map((p, i) => `  tokens ${i * report.segmentTokens}-${(i + 1) * report.segmentTokens}: ${p.toFixed(3)}`),
  ].join('\n');
  print(Boolean(values.json), { model: model.name, ...report }, human);
  await decoder.release();
}

async function checkCacheCommand(values: Values): Promise<void> {
  const { model, decoder, ids, sinks, window } = await loadForEval(values);
  const report = await checkCache({ decoder, arch: model.arch, mode: 'sink', sinks, window }, ids);
  const ok = cacheCheckPassed(report);
  const layer0Ok = report.maxLayer0KvDiff <= 1e-3;
  const shiftBound = Math.max(1e-3, 2 * (report.windowShiftNoise ?? 0));
  const human = [
    `${model.name} · sinks ${sinks} · window ${window} · ${ids.length} tokens · ${report.checks.length} checks after evictions`,
    ...report.checks.map(
      (c) =>
        `  after ${c.streamed} tokens (${c.evictions} evictions, ${c.cached} cached): layer-0 K/V diff ${c.layer0KvDiff.toExponential(2)}, logits diff ${c.logitsDiff.toExponential(2)}`,
    ),
    `largest layer-0 K/V difference ${report.maxLayer0KvDiff.toExponential(2)} (${layer0Ok ? 'ok' : 'FAIL'}: must be ≤ 1e-3)`,
    `largest next-token logits difference ${report.maxLogitsDiff.toExponential(2)} (what kept tokens remember of evicted ones)`,
    report.windowShiftLogitsDiff === null
      ? 'window-mode shift check skipped: the graph takes no position ids'
      : `window mode, re-rotated vs original positions, all layers: logits diff ${report.windowShiftLogitsDiff.toExponential(2)}; ` +
        `the graph's own noise ${report.windowShiftNoise!.toExponential(2)} (${report.windowShiftLogitsDiff <= shiftBound ? 'ok' : 'FAIL'}: must be ≤ ${shiftBound.toExponential(1)})`,
    `check-cache ${ok ? 'passed' : 'FAILED'}`,
  ].join('\n');
  print(Boolean(values.json), { model: model.name, ok, ...report }, human);
  await decoder.release();
  if (!ok) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    if (!command && !values.help) process.exitCode = 2;
    return;
  }
  if (command === 'generate') return generateCommand(values);
  if (command === 'ppl') return pplCommand(values);
  if (command === 'check-cache') return checkCacheCommand(values);
  throw new EngineInputError(`unknown command "${command}"\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`endless: ${message}\n`);
  process.exitCode = 1;
});
