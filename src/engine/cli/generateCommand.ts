// `endless generate`: one chat reply or one completion from a prompt given inline or in a file.
import { readFileSync } from 'node:fs';
import { CLI_GENERATION } from '../defaults';
import { Engine, newProgress } from '../engine';
import { EngineInputError } from '../errors';
import { loadModelDir } from '../modelDir';
import { defaultModelDir } from '../packageRoot';
import { freshChat, type GenerateOptions } from '../protocol';
import { cacheShapeArgs, numberArg, print, threadsArg, timeBudgetArg, type Values } from './args';

export async function generateCommand(values: Values): Promise<void> {
  const prompt = readPrompt(values);
  const stream = values.stream ?? 'chat';
  if (stream !== 'chat' && stream !== 'editor') throw new EngineInputError(`--stream must be chat or editor, got ${stream}`);
  const modelDir = values.model ?? defaultModelDir();
  const { sinks, window } = cacheShapeArgs(values, 'sink', loadModelDir(modelDir).arch.maxPositionEmbeddings);
  const options: GenerateOptions = {
    ...CLI_GENERATION,
    maxTokens: numberArg(values, 'max-tokens', CLI_GENERATION.maxTokens),
    temperature: numberArg(values, 'temperature', CLI_GENERATION.temperature, false),
    topK: numberArg(values, 'top-k', CLI_GENERATION.topK),
    topP: numberArg(values, 'top-p', CLI_GENERATION.topP, false),
    repetitionPenalty: numberArg(values, 'repetition-penalty', CLI_GENERATION.repetitionPenalty, false),
    seed: values.seed === undefined ? undefined : numberArg(values, 'seed', 0),
    timeBudgetMs: timeBudgetArg(values),
    ignoreEos: values['ignore-eos'] === true,
  };
  if (options.maxTokens < 0) throw new EngineInputError(`--max-tokens must be ≥ 0, got ${options.maxTokens}`);
  const engine = await Engine.load({
    modelDir,
    sinks,
    window,
    pinnedSystemPrompt: values.system ?? '',
    threads: threadsArg(values),
  });
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
    ...(progress.clipped ? { clipped: progress.clipped } : {}),
  };
  const result = { model: engine.info, stream, reason: step.value, text: progress.text, usage, stats: engine.stats().streams[stream] };
  if (progress.clipped) process.stderr.write(`endless: ${clippedNotice(progress.clipped)}\n`);
  if (values.json) print(true, result, '');
  else process.stdout.write(`\n[${step.value}; ${usage.generatedTokens} tokens in ${totalMs.toFixed(0)} ms]\n`);
  await engine.dispose();
}

function clippedNotice(clipped: number): string {
  return `the prompt was longer than the window: its first ${clipped} tokens were left out`;
}

/** `--prompt TEXT` or `--prompt-file FILE`, exactly one of them, not empty. */
function readPrompt(values: Values): string {
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
    throw new EngineInputError('give either --prompt TEXT or --prompt-file FILE, not both');
  }
  const file = values['prompt-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new EngineInputError(`cannot read --prompt-file ${file}: ${(err as Error).message}`);
    }
    if (text.trim().length === 0) throw new EngineInputError(`--prompt-file ${file} is empty: give it a file with the prompt`);
    return text;
  }
  const prompt = values.prompt;
  if (prompt === undefined || prompt.length === 0) throw new EngineInputError('--prompt TEXT (or --prompt-file FILE) is required and must not be empty');
  return prompt;
}
