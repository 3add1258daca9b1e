// Entry point VS Code loads as `extensionTestsPath`: runs the mocha suites inside the
// extension host. Every result line goes to the console and, when ENDLESS_TEST_LOG names a
// file, to that file (the extension host's console is not always visible to the runner).
// ENDLESS_TEST_RESULTS receives the final counts as JSON.
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

const logFile = process.env.ENDLESS_TEST_LOG;
const resultsFile = process.env.ENDLESS_TEST_RESULTS;

function log(line: string): void {
  console.log(line);
  if (logFile) appendFileSync(logFile, line + '\n');
}

export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  failures: { title: string; message: string }[];
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false, reporter: 'base' });
  // The compiled suites sit next to this file (out/exthost/*.test.js); sorted so the order is stable.
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const results: SuiteResults = { passed: 0, failed: 0, pending: 0, durationMs: 0, failures: [] };
    const runner = mocha.run((failures) => {
      results.durationMs = Date.now() - started;
      log(`${results.passed} passing, ${results.failed} failing (${(results.durationMs / 1000).toFixed(1)} s)`);
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify(results, null, 2));
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('suite', (suite) => {
      if (suite.title) log(`${'  '.repeat(Math.max(0, suite.titlePath().length - 1))}${suite.title}`);
    });
    runner.on('pass', (test) => {
      results.passed++;
      log(`${'  '.repeat(test.titlePath().length - 1)}✔ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on('fail', (test, error: Error) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), message: error.message });
      log(`${'  '.repeat(test.titlePath().length - 1)}✘ ${test.title}\n${error.stack ?? error.message}`);
    });
    runner.on('pending', (test) => {
      results.pending++;
      log(`${'  '.repeat(test.titlePath().length - 1)}- ${test.title} (skipped)`);
    });
  });
}
