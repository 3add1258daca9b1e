// Runs the extension-host suites inside real VS Code (code-server's Node extension host).
// code-server is started with the smoke-test driver enabled, so the workbench honours a
// `payload` in the URL that names the extension under development and the tests to run, and
// reports the end through `codeAutomationExit`, a page function exposed here with Playwright.
//   node test/exthost/run.mjs          (after `npm test` has set things up once)
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  unwatchFile,
  watchFile,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../scripts/setup/paths.mjs';
import { buildExtensionHostTests } from '../../scripts/vscode/buildTests.mjs';
import { prepareProfile, removeProfile } from '../../scripts/vscode/profile.mjs';
import { startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { launchBrowser } from '../../scripts/vscode/browser.mjs';
import { testModelDirectory } from '../../scripts/vscode/model.mjs';

const WORKSPACE = path.join(ROOT, 'test', 'workspace');
const RESULTS_DIR = path.join(ROOT, 'test-results', 'exthost');
const TIMEOUT_MS = 15 * 60_000;

/** Settings the suites read back and check (a small window, so eviction happens quickly). */
export const EXTHOST_SETTINGS = {
  'endless.sinkTokens': 4,
  'endless.windowTokens': 252,
  'endless.chat.maxTokens': 96,
  'endless.completion.maxTokens': 32,
  'endless.completion.delayMs': 50,
};

/** Prints what is appended to `file` while the run goes on (the suite's own log). */
function follow(file) {
  let offset = 0;
  const print = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    offset = size;
    process.stdout.write(buffer.toString().replace(/^(?=.)/gm, '[exthost] '));
  };
  watchFile(file, { interval: 250 }, print);
  return () => {
    unwatchFile(file);
    print();
  };
}

export async function runExtensionHostTests() {
  const started = Date.now();
  rmSync(RESULTS_DIR, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const logFile = path.join(RESULTS_DIR, 'mocha.log');
  const resultsFile = path.join(RESULTS_DIR, 'results.json');
  const serverLog = path.join(RESULTS_DIR, 'code-server.log');

  const testsDir = await buildExtensionHostTests();
  // A profile of its own per run (workspace state included), so no transcript or setting from
  // another run leaks in, and two runs in one checkout do not share one.
  const dirs = prepareProfile(`exthost-${process.pid}`, { ...EXTHOST_SETTINGS, 'endless.modelDirectory': testModelDirectory() }, { fresh: true });
  const serverLines = [];
  const server = await startCodeServer({
    dirs,
    args: ['--vscode-option', 'enable-smoke-test-driver'],
    env: { ENDLESS_TEST_LOG: logFile, ENDLESS_TEST_RESULTS: resultsFile },
    log: (line) => serverLines.push(line),
  });
  const stopFollowing = follow(logFile);
  const workbenchLines = [];
  let browser;
  let exitCode;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    let reportExit;
    const ended = new Promise((resolve) => {
      reportExit = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code) => reportExit(code));
    // The workbench's own console (extension-host output included) goes to a file: it is
    // noisy (offline gallery lookups fail), and the suite's results are in its own log.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      workbenchLines.push(`[${type}] ${(Array.isArray(args) ? args : [args]).join(' ')}`);
    });
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(testsDir, 'index'))],
    ];
    const url = `${server.url}?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    // A loaded machine (CI with 2 cores) can take longer than Playwright's 30 s to load the workbench.
    await page.goto(url, { timeout: 180_000 });
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS);
    });
    exitCode = await Promise.race([ended, timeout]);
    clearTimeout(timer);
    if (exitCode === 'timeout') console.error(`[exthost] no result after ${TIMEOUT_MS / 60_000} minutes`);
  } finally {
    await browser?.close();
    await server.stop();
    removeProfile(dirs);
    stopFollowing();
    writeFileSync(serverLog, serverLines.join('\n') + '\n');
    writeFileSync(path.join(RESULTS_DIR, 'workbench.log'), workbenchLines.join('\n') + '\n');
  }
  const seconds = (Date.now() - started) / 1000;
  if (!existsSync(resultsFile)) {
    console.error(`[exthost] the suites reported no results (exit ${exitCode}); logs: ${RESULTS_DIR}`);
    console.error(serverLines.slice(-30).join('\n'));
    return { name: 'extension host', passed: 0, failed: 1, seconds };
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  // A non-zero exit without failing tests means the run itself broke (e.g. activation threw).
  const failed = results.failed + (exitCode !== 0 && results.failed === 0 ? 1 : 0);
  return { name: 'extension host', passed: results.passed, failed, seconds };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runExtensionHostTests();
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed > 0 ? 1 : 0);
}
