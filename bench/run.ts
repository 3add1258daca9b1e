// `npm run bench [-- --quick] [--threads N] [--only a,b] [--report-only]`: runs the benchmark
// sections, writes bench/results/latest.json and regenerates bench/REPORT.md and its SVG plots.
// --quick: a few minutes (shorter streams, fewer repetitions); the full run takes ~35 minutes on
// two shared cores. --only runs some sections and keeps the others' last results. --report-only
// re-renders the report from latest.json (e.g. after adding results from another tool).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelDir } from '../src/engine/modelDir';
import { machineInfo } from './lib/machine';
import { HELDOUT, LONG_HELDOUT, ROOT } from './lib/text';
import { renderReport } from './report/markdown';
import { BENCH_SECTIONS, type BenchResults, type BenchSection, earlierRuns } from './report/results';
import { measureBandwidth, onnxStepBytes } from './sections/ceiling';
import { completionSection } from './sections/completion';
import { decodeSection } from './sections/decode';
import { memorySection } from './sections/memory';
import { peersSection } from './sections/peers';
import { perplexitySection } from './sections/perplexity';

const RESULTS = join(ROOT, 'bench/results/latest.json');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      threads: { type: 'string', default: '1' },
      only: { type: 'string' },
      'report-only': { type: 'boolean', default: false },
    },
  });
  if (values['report-only']) {
    if (!existsSync(RESULTS)) throw new Error(`${RESULTS} not found: run \`npm run bench\` first`);
    renderReport(JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchResults, ROOT);
    console.log('bench/REPORT.md re-rendered from bench/results/latest.json');
    return;
  }
  const threads = Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a whole number ≥ 1, got ${values.threads}`);
  const only = values.only ? values.only.split(',') : [...BENCH_SECTIONS];
  for (const s of only) if (!BENCH_SECTIONS.includes(s as BenchSection)) throw new Error(`--only: unknown section "${s}"; sections are ${BENCH_SECTIONS.join(', ')}`);
  const quick = values.quick!;
  const previous: Partial<BenchResults> = only.length < BENCH_SECTIONS.length && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  const results: BenchResults = {
    ...previous,
    machine: machineInfo(ROOT),
    quick,
    threads,
    sinks: 4,
    window: 960,
    errors: { ...(previous.errors ?? {}) },
    sectionRuns: earlierRuns(previous),
  } as BenchResults;
  const model = loadModelDir(join(ROOT, 'models/default'));
  const log = (line: string) => console.log(line);
  const save = () => {
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 1)}\n`);
  };
  const section = async (name: BenchSection, run: () => Promise<void> | void) => {
    if (!only.includes(name)) return;
    console.log(`\n== ${name} (load ${loadavg()[0].toFixed(1)})`);
    const t0 = performance.now();
    try {
      await run();
      delete results.errors[name];
      results.sectionRuns = { ...results.sectionRuns, [name]: { date: results.machine.date, commit: results.machine.commit, quick } };
    } catch (err) {
      results.errors[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`${name} failed: ${results.errors[name]}`);
    }
    results.seconds = { ...(results.seconds ?? {}), [name]: (performance.now() - t0) / 1000 };
    save();
  };

  await section('ceiling', async () => {
    const bandwidth = await measureBandwidth(quick, cpus().length);
    log(`  read bandwidth: ${bandwidth.read1.toFixed(1)} GB/s one thread, ${bandwidth.readAll.toFixed(1)} GB/s ${bandwidth.threadsAll} threads, ${bandwidth.read16MB.toFixed(1)} GB/s on 16 MB`);
    results.ceiling = {
      bandwidth,
      streaming: onnxStepBytes(model.dir, model.arch),
      standard: onnxStepBytes(join(ROOT, 'bench/models/default-hf'), model.arch),
    };
  });
  await section('decode', async () => {
    results.decode = await decodeSection({
      model,
      threads,
      sinks: 4,
      window: 960,
      cachedPoints: quick ? [16, 256, 512, 1000, 2048] : [16, 128, 256, 512, 768, 1000, 2048, 4096, 10000],
      positions: quick ? [1000, 10000] : [1000, 10000, 100000],
      steps: quick ? 16 : 32,
      recomputeSteps: quick ? 2 : 4,
      log,
    });
  });
  await section('peers', async () => {
    results.peers = await peersSection({ defaultModel: model.dir, threads, sinks: 4, window: 960, contexts: [256, 900], steps: quick ? 16 : 32, reps: quick ? 1 : 2, log });
  });
  await section('perplexity', async () => {
    // Recompute re-runs the window every `chunk` tokens (8× the work of sink mode) and dense grows
    // quadratically: they stream shorter texts (the report says how long each was).
    const long = quick ? 4096 : 65536;
    results.perplexity = await perplexitySection({
      model,
      threads,
      text: existsSync(LONG_HELDOUT) ? LONG_HELDOUT : HELDOUT,
      sinks: 4,
      window: 960,
      tokens: { sink: long, window: long, recompute: quick ? 2048 : 8192, dense: quick ? 2048 : 6144 },
      log,
    });
  });
  // The bundled worker is what the product runs; build it so a fresh clone measures it too.
  let built = false;
  const buildWorker = () => {
    if (built) return;
    built = true;
    const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) log(`  build failed, measuring the worker from source: ${build.stderr.slice(-300)}`);
  };
  await section('memory', () => {
    buildWorker();
    results.memory = memorySection({ model, sinks: 4, window: 960, chars: quick ? 30_000 : 100_000, text: existsSync(LONG_HELDOUT) ? LONG_HELDOUT : HELDOUT, log });
  });
  await section('completion', () => {
    buildWorker();
    // The replay runs in real time (about two minutes of recorded typing), quick or not.
    results.completion = completionSection({ log });
  });
  results.machine.loadEnd = loadavg()[0];
  save();
  renderReport(results, ROOT);
  console.log(`\nwrote bench/results/latest.json and bench/REPORT.md${Object.keys(results.errors).length ? ` (failed sections: ${Object.keys(results.errors).join(', ')})` : ''}`);
  if (Object.keys(results.errors).length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
