// `npm test`: installs what is missing, builds, and runs every suite: unit (node:test),
// extension host (mocha inside code-server), browser end-to-end (Playwright + Chromium) and a
// short soak that fails when a per-turn cost or memory grows with the session.
// Ends with a table of counts and times and the line `N passed, N failed`; exits non-zero if
// anything failed.
//   npm test [-- --only unit,exthost,e2e,soak]
// The modules imported up front use Node built-ins only: on a fresh clone the npm packages the
// suite runners need (esbuild, playwright-core) exist only once set-up has run.
import path from 'node:path';
import { setup } from './setup/index.mjs';
import { ROOT } from './setup/paths.mjs';
import { buildExtension, packageExtension } from './vscode/extension.mjs';
import { findFiles, runNodeTests } from './test/nodeTest.mjs';

const onlyFlag = process.argv.indexOf('--only');
const SUITES = ['unit', 'exthost', 'e2e', 'soak'];
const only = onlyFlag > 0 ? (process.argv[onlyFlag + 1] ?? '').split(',') : undefined;
const unknown = only?.filter((name) => !SUITES.includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(`[test] unknown suite ${unknown.map((n) => JSON.stringify(n)).join(', ')}: --only takes ${SUITES.join(', ')} (comma-separated)`);
  process.exit(2);
}
const wanted = (suite) => !only || only.includes(suite);

const results = [];

/** Runs a step that is not a suite (set-up, build); a failure counts once and ends the run. */
async function step(name, action) {
  const started = Date.now();
  try {
    const value = await action();
    results.push({ name, step: true, seconds: (Date.now() - started) / 1000 });
    return value;
  } catch (error) {
    console.error(`[test] ${name} failed: ${error.message}`);
    results.push({ name, step: true, passed: 0, failed: 1, seconds: (Date.now() - started) / 1000 });
    summary();
  }
}

/** Runs a suite; a suite that throws before it reports counts as one failure. */
async function suite(name, action) {
  const started = Date.now();
  try {
    results.push(await action());
  } catch (error) {
    console.error(`[test] ${name} could not run: ${error.stack ?? error.message}`);
    results.push({ name, passed: 0, failed: 1, seconds: (Date.now() - started) / 1000 });
  }
}

function summary() {
  console.log('\n─── summary ───────────────────────────────────────');
  for (const r of results) {
    const counts = r.step ? (r.failed ? 'FAILED' : '') : `${r.passed} passed, ${r.failed} failed`;
    console.log(`${r.name.padEnd(16)} ${counts.padEnd(22)} ${r.seconds.toFixed(1).padStart(7)} s`);
  }
  if (results.some((r) => r.name === 'browser e2e')) console.log(`screenshots: ${path.join(ROOT, 'test-results', 'screenshots')}`);
  const passed = results.reduce((n, r) => n + (r.passed ?? 0), 0);
  const failed = results.reduce((n, r) => n + (r.failed ?? 0), 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

// Unit tests need only the npm packages; the other suites need code-server and Chromium.
await step('set-up', () => setup({ only: only?.every((s) => s === 'unit') ? ['npm'] : undefined }));
await step('build', () => buildExtension());
if (wanted('unit')) {
  await suite('unit', () =>
    runNodeTests({
      name: 'unit',
      label: 'unit',
      files: findFiles(path.join(ROOT, 'test', 'unit'), '.test.ts'),
      importArgs: ['--import', 'tsx'],
    }),
  );
}
if (wanted('exthost')) {
  await suite('extension host', async () => {
    const { runExtensionHostTests } = await import('../test/exthost/run.mjs');
    return runExtensionHostTests();
  });
}
if (wanted('e2e')) {
  const vsix = await step('package', () => packageExtension());
  await suite('browser e2e', async () => {
    const { runBrowserTests } = await import('../test/e2e/run.mjs');
    return runBrowserTests(vsix);
  });
}
if (wanted('soak')) {
  // A short soak: a few hundred turns are enough to see a cost that grows with the session.
  await suite('soak', async () => {
    const started = Date.now();
    const { runSoak } = await import('./soak/run.mjs');
    const { goals } = await import('./soak/summary.mjs');
    // The first and last quarter of turns are compared (the long soak compares tenths): a short
    // run on a shared 2-core machine has too few turns in a tenth to tell growth from chance.
    const { summary: numbers } = await runSoak({ turns: 200, keystrokes: 2000, minutes: 4, share: 0.25 });
    // A test judges cost, not the machine: wall-clock latencies are printed (the long soak and
    // the benchmarks judge them) while CPU time per turn, memory and the caps decide. Short
    // runs are noisier than the long one: the cost may vary by half before it counts as growth.
    const missed = goals(numbers, { ratio: 1.5, wallTimes: false });
    if (numbers.turns < 50) missed.push(`only ${numbers.turns} turns ran within the time budget; too few to judge growth`);
    console.log(`[soak] ${JSON.stringify(numbers)}`);
    for (const line of missed) console.error(`[soak] goal missed: ${line}`);
    return { name: 'soak', passed: missed.length === 0 ? 1 : 0, failed: missed.length === 0 ? 0 : 1, seconds: (Date.now() - started) / 1000 };
  });
}
summary();
