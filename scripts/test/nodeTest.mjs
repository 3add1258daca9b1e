// Runs node:test files in a child process with the spec reporter on the console and the
// count reporter into a file, and returns the counts.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';
import { run } from '../setup/exec.mjs';

/** Files under `dir` whose names end with `suffix`, recursively, sorted. */
export function findFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(suffix) && !name.split(path.sep).includes('node_modules'))
    .map((name) => path.join(dir, name))
    .sort();
}

export async function runNodeTests({ name, files, importArgs = [], env, label }) {
  const started = Date.now();
  if (files.length === 0) {
    console.log(`[${label}] no test files`);
    return { name, passed: 0, failed: 0, seconds: 0 };
  }
  const countsDir = path.join(ROOT, 'test-results');
  mkdirSync(countsDir, { recursive: true });
  const countsFile = path.join(countsDir, `${label}-counts.json`);
  rmSync(countsFile, { force: true });
  const { code } = await run(
    process.execPath,
    [
      ...importArgs,
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${path.join(ROOT, 'scripts', 'test', 'countReporter.mjs')}`,
      `--test-reporter-destination=${countsFile}`,
      ...files.map((f) => path.relative(ROOT, f)),
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, label },
  );
  const seconds = (Date.now() - started) / 1000;
  const counts = existsSync(countsFile) ? JSON.parse(readFileSync(countsFile, 'utf8')) : { passed: 0, failed: 0 };
  // A crash of the runner itself still has to fail the suite.
  const failed = counts.failed + (code !== 0 && counts.failed === 0 ? 1 : 0);
  return { name, passed: counts.passed, failed, seconds };
}
