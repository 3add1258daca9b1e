// `endless complete`: a completion at a point of a file, as the editor would show it. The same
// context layout (contextBuilder), editor stream and FIM prompt (engine/editorPrompt), options
// (config/settings) and stop rules (completion/stopRules) as the inline provider; the file's own
// text is the only context (no chunks of other files), and each call starts a fresh editor stream.
import { readFileSync } from 'node:fs';
import { extname, relative, resolve } from 'node:path';
import { buildEditorContext, contextLimits } from '../../completion/contextBuilder';
import { completionRequestOptions } from '../../completion/requestOptions';
import { applyStopRules, stopContextAt } from '../../completion/stopRules';
import { DEFAULT_SETTINGS } from '../../config/settings';
import { Engine, newProgress } from '../engine';
import { EngineInputError } from '../errors';
import type { FinishReason, GenerateOptions } from '../protocol';

export interface CompletionRequest {
  /** Whole text of the file. */
  text: string;
  /** Path shown to the model (relative, as the editor's workspace-relative path). */
  path: string;
  /** 0-based line and character, as VS Code's Position. */
  line: number;
  character: number;
}

export interface CompletionResult {
  /** The ghost text, after the stop rules. */
  text: string;
  /** What the model wrote before the stop rules cut it. */
  raw: string;
  reason: FinishReason | 'stopped';
  promptTokens: number;
  prefilledTokens: number;
  generatedTokens: number;
  firstTokenMs: number;
  totalMs: number;
}

const LANGUAGE_IDS: Record<string, string> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescriptreact',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascriptreact',
  '.py': 'python', '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.hpp': 'cpp',
  '.json': 'json', '.md': 'markdown', '.go': 'go', '.rs': 'rust', '.java': 'java', '.sh': 'shellscript',
};

export function languageIdOf(path: string): string {
  return LANGUAGE_IDS[extname(path).toLowerCase()] ?? 'plaintext';
}

/** Lines as an editor shows them (any line ending) and the text offset of each line start. */
function lineStarts(text: string): { lines: string[]; starts: number[] } {
  const lines: string[] = [];
  const starts: number[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    lines.push(text.slice(start, m.index));
    starts.push(start);
    start = m.index + m[0].length;
  }
  lines.push(text.slice(start));
  starts.push(start);
  return { lines, starts };
}

/** The editor's completion at `request`, through `engine`'s editor stream; `overrides` replace options the settings give (for evaluations). */
export async function completeAt(engine: Engine, request: CompletionRequest, overrides: Partial<GenerateOptions> = {}): Promise<CompletionResult> {
  const { lines, starts } = lineStarts(request.text);
  if (request.line < 0 || request.line >= lines.length) {
    throw new EngineInputError(`line ${request.line + 1} is outside the file, which has ${lines.length} lines`);
  }
  if (request.character < 0 || request.character > lines[request.line].length) {
    throw new EngineInputError(
      `column ${request.character + 1} is outside line ${request.line + 1}, which has ${lines[request.line].length} characters (the last column is ${lines[request.line].length + 1})`,
    );
  }
  const offset = starts[request.line] + request.character;
  const context = buildEditorContext(request.text, offset, request.path, languageIdOf(request.path), [], contextLimits(engine.info.window));
  const stop = stopContextAt(request.text, offset);
  engine.reset('editor');
  const progress = newProgress();
  let streamed = '';
  let ruled = false;
  const t0 = performance.now();
  const options = { ...completionRequestOptions(DEFAULT_SETTINGS, stop), ...overrides };
  const steps = engine.complete(context, options, progress, (piece) => {
    streamed += piece;
    if (!ruled && applyStopRules(streamed, stop, false).stopped) ruled = true;
  });
  let step = await steps.next();
  // As the inline provider does: once a rule has ended the text, the rest would be thrown away.
  while (!step.done && !ruled) step = await steps.next();
  if (!step.done) await steps.return('cancelled');
  const totalMs = performance.now() - t0;
  return {
    text: applyStopRules(streamed, stop, true).text,
    raw: streamed,
    reason: ruled ? 'stopped' : (step.value as FinishReason),
    promptTokens: progress.promptTokens,
    prefilledTokens: progress.prefilledTokens,
    generatedTokens: progress.generatedTokens,
    firstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - t0 : 0,
    totalMs,
  };
}

/** The engine as the extension sets it up by default. */
export function loadEditorEngine(modelDir: string, threads: number): Promise<Engine> {
  return Engine.load({
    modelDir,
    sinks: DEFAULT_SETTINGS.sinkTokens,
    window: DEFAULT_SETTINGS.windowTokens,
    pinnedSystemPrompt: DEFAULT_SETTINGS.pinnedSystemPrompt,
    threads,
  });
}

function positiveInteger(raw: string | undefined, flag: string): number {
  if (raw === undefined) throw new EngineInputError(`${flag} N is required (1-based, as the editor shows it)`);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 1) {
    throw new EngineInputError(`${flag} must be a whole number ≥ 1 (1-based, as the editor shows it), got ${JSON.stringify(raw)}`);
  }
  return value;
}

export interface CompleteArgs {
  file?: string;
  line?: string;
  column?: string;
  model: string;
  threads: number;
  json: boolean;
}

export async function completeCommand(args: CompleteArgs): Promise<void> {
  if (!args.file) throw new EngineInputError('--file FILE is required');
  const line = positiveInteger(args.line, '--line');
  const column = positiveInteger(args.column, '--column');
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (err) {
    throw new EngineInputError(`cannot read --file ${args.file}: ${(err as Error).message}`);
  }
  const path = relative(process.cwd(), resolve(args.file)).split('\\').join('/');
  const engine = await loadEditorEngine(args.model, args.threads);
  try {
    const result = await completeAt(engine, { text, path, line: line - 1, character: column - 1 });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ model: engine.info.name, file: path, line, column, ...result }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `${result.text}\n[${result.reason}; ${result.prefilledTokens} tokens prefilled, ${result.generatedTokens} generated, first token ${result.firstTokenMs.toFixed(0)} ms, total ${result.totalMs.toFixed(0)} ms]\n`,
      );
    }
  } finally {
    await engine.dispose();
  }
}
