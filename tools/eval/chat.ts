// The chat suite (chat-suite.json): each request goes to the chat stream as the panel sends it
// (default pinned system prompt, sampling options at temperature 0), the first fenced code block
// of the answer is run against the task's unit tests in a subprocess with a time limit.
//   node --import tsx tools/eval/chat.ts [--model DIR] [--out results.json] [--max-tokens 384]
//        [--samples K --temperature T]
// --samples K adds K - 1 answers sampled at temperature T (default 0.8; seeds 1001...) to the
// greedy one and reports pass@K, the tasks any of the K answers passes: how far a choice among
// several answers could take pass@1. --system TEXT pins another system prompt than the default.
// How an answer is run: chatTests.ts. pass@1 = tasks whose tests pass / tasks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEditorEngine } from '../../src/engine/cli/completeCommand';
import { chatOptions, DEFAULT_SETTINGS } from '../../src/config/settings';
import { newProgress } from '../../src/engine/engine';
import { freshChat } from '../../src/engine/protocol';
import { defaultModelDir } from '../../src/engine/packageRoot';
import { type ChatTask, firstCodeBlock, runTests } from './chatTests';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    suite: { type: 'string', default: join(import.meta.dirname, 'chat-suite.json') },
    out: { type: 'string' },
    'max-tokens': { type: 'string', default: '384' },
    threads: { type: 'string', default: '0' },
    python: { type: 'string', default: 'python3' },
    samples: { type: 'string', default: '1' },
    temperature: { type: 'string', default: '0.8' },
    system: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const tasks = (JSON.parse(readFileSync(values.suite!, 'utf8')) as { tasks: ChatTask[] }).tasks;
  const model = values.model ?? defaultModelDir();
  const engine = await loadEditorEngine(model, Number(values.threads));
  if (values.system !== undefined) for (const notice of engine.setPinnedPrompt(values.system)) process.stderr.write(`${notice}\n`);
  const samples = Number(values.samples);
  const temperature = Number(values.temperature);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples ${values.samples}: give a whole number ≥ 1`);
  if (!(temperature > 0)) throw new Error(`--temperature ${values.temperature}: give a number > 0`);
  const options = { ...chatOptions(DEFAULT_SETTINGS), temperature: 0, maxTokens: Number(values['max-tokens']) };
  const dir = mkdtempSync(join(tmpdir(), 'endless-chat-eval-'));
  const results = [];
  try {
    for (const task of tasks) {
      const answer = async (sample: number) => {
        engine.reset('chat');
        const progress = newProgress();
        const sampling = sample === 0 ? options : { ...options, temperature, seed: 1000 + sample };
        const steps = engine.chat(freshChat([{ role: 'user', content: task.request }]), sampling, progress, () => {});
        let step = await steps.next();
        while (!step.done) step = await steps.next();
        return { reply: progress.text, ...runTests(task, firstCodeBlock(progress.text), dir, values.python) };
      };
      const { passed, error, reply } = await answer(0);
      let sampledPasses = 0;
      for (let sample = 1; sample < samples; sample++) if ((await answer(sample)).passed) sampledPasses++;
      results.push({ id: task.id, language: task.language, passed, error, reply, ...(samples > 1 && { sampledPasses, passedAny: passed || sampledPasses > 0 }) });
      process.stderr.write(`${task.id}: ${passed ? 'pass' : 'fail'}${samples > 1 ? `, sampled ${sampledPasses}/${samples - 1}` : ''}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await engine.dispose();
  }
  const summary: Record<string, { tasks: number; passed: number; passAt1: number; passedAny?: number }> = {};
  for (const group of ['javascript', 'typescript', 'python', 'all']) {
    const mine = results.filter((r) => group === 'all' || r.language === group);
    const passed = mine.filter((r) => r.passed).length;
    summary[group] = { tasks: mine.length, passed, passAt1: Math.round((passed / Math.max(1, mine.length)) * 1000) / 1000 };
    if (samples > 1) summary[group].passedAny = mine.filter((r) => r.passedAny).length;
  }
  const report = { model: engine.info.name, modelDir: model, ...(values.system !== undefined && { system: values.system }), ...(samples > 1 && { samples, temperature }), summary, results };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`${JSON.stringify({ model: report.model, summary }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`chat eval: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
