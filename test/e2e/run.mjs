// Runs the browser end-to-end tests: installs the packaged .vsix into a fresh code-server
// profile, serves VS Code with the sample workspace and drives it with Chromium.
//   node test/e2e/run.mjs [path/to/endless.vsix]   (default: package it first)
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../scripts/setup/paths.mjs';
import { prepareProfile, removeProfile } from '../../scripts/vscode/profile.mjs';
import { installExtension, startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { testModelDirectory } from '../../scripts/vscode/model.mjs';
import { buildExtension, packageExtension } from '../../scripts/vscode/extension.mjs';
import { findFiles, runNodeTests } from '../../scripts/test/nodeTest.mjs';
import { startFixtureHub } from './fixtureHub.mjs';

const WORKSPACE = path.join(ROOT, 'test', 'workspace');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');

export const E2E_SETTINGS = {
  'endless.completion.delayMs': 50,
  // Long enough that Stop can be pressed while a reply is still being written.
  'endless.chat.maxTokens': 1024,
  // Greedy replies, the same on every run: a sampled reply may end within a few tokens, before
  // Stop can land, and a test must not depend on the sampler's luck.
  'endless.temperature': 0,
};

export async function runBrowserTests(vsix) {
  const started = Date.now();
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  // A fresh profile per run: the transcript the reload test looks for must come from this run.
  // Model downloads go to a local Hub-shaped server, never the network.
  const { hub, entry } = await startFixtureHub();
  const machine = { 'endless.modelDirectory': testModelDirectory(), 'endless.hub.endpoint': hub.url };
  const dirs = prepareProfile(`e2e-${process.pid}`, { ...E2E_SETTINGS, ...machine }, { fresh: true });
  // code-server's windows are remote ones: machine-scoped settings apply from its Machine settings.
  mkdirSync(path.join(dirs.userData, 'Machine'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2) + '\n');
  await installExtension(dirs, vsix);
  const serverLines = [];
  const server = await startCodeServer({ dirs, args: [WORKSPACE], log: (line) => serverLines.push(line) });
  let result;
  try {
    result = await runNodeTests({
      name: 'browser e2e',
      label: 'e2e',
      files: findFiles(path.join(ROOT, 'test', 'e2e'), '.test.mjs'),
      // One file at a time: they share one code-server and its user settings (a model choice).
      importArgs: ['--test-concurrency=1'],
      env: { ENDLESS_E2E_URL: server.url, ENDLESS_E2E_WORKSPACE: WORKSPACE, ENDLESS_E2E_SCREENSHOTS: SCREENSHOTS, ENDLESS_E2E_HUB_MODEL: entry.name },
    });
  } finally {
    await server.stop();
    await hub.stop();
    removeProfile(dirs);
    writeFileSync(path.join(RESULTS_DIR, 'code-server.log'), serverLines.join('\n') + '\n');
  }
  console.log(`[e2e] screenshots: ${SCREENSHOTS}`);
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let vsix = process.argv[2] && path.resolve(process.argv[2]);
  if (!vsix) {
    await buildExtension();
    vsix = await packageExtension();
  }
  const result = await runBrowserTests(vsix);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed > 0 ? 1 : 0);
}
