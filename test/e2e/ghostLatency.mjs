// Measures keystroke -> ghost text in real VS Code (code-server) with Chromium: types the start
// of a statement at the end of a workspace file, as a user would, and records inside the page
// the time from the last keydown to the first frame in which ghost text is shown. Prints the
// samples and their median; it asserts nothing (a measurement, not a test).
//   node test/e2e/ghostLatency.mjs [--vsix FILE] [--samples 10] [--set key=json]...
// Without --vsix it builds and packages the extension first.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../../scripts/vscode/browser.mjs';
import { installExtension, startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { buildExtension, packageExtension } from '../../scripts/vscode/extension.mjs';
import { testModelDirectory } from '../../scripts/vscode/model.mjs';
import { prepareProfile, removeProfile } from '../../scripts/vscode/profile.mjs';
import { ROOT } from '../../scripts/setup/paths.mjs';
import { openFile } from './quickOpen.mjs';

const WORKSPACE = path.join(ROOT, 'test', 'workspace');

/** Statements begun at the end of a file: something must follow each. */
const SAMPLES = [
  ['src/shapes.ts', '\nexport function perimeter(width: number, height: number): number {\n'],
  ['src/stats.py', '\n\ndef variance(values):\n'],
  ['src/shapes.ts', '\nexport function scale(p: Point, k: number): Point {\n  return '],
  ['src/stats.py', '\n\ndef total(values):\n    return '],
  ['src/shapes.ts', '\nexport function midpoint(a: Point, b: Point): Point {\n'],
  ['src/stats.py', '\n\ndef median(values):\n    ordered = '],
];

const { values } = parseArgs({
  options: {
    vsix: { type: 'string' },
    samples: { type: 'string', default: '10' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const settings = { 'endless.modelDirectory': testModelDirectory() };
for (const pair of values.set) {
  const at = pair.indexOf('=');
  settings[pair.slice(0, at)] = JSON.parse(pair.slice(at + 1));
}

let vsix = values.vsix && path.resolve(values.vsix);
if (!vsix) {
  await buildExtension();
  vsix = await packageExtension();
}
const dirs = prepareProfile(`ghost-latency-${process.pid}`, settings, { fresh: true });
await installExtension(dirs, vsix);
const server = await startCodeServer({ dirs, args: [WORKSPACE] });
const browser = await launchBrowser();
const times = [];
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto(`${server.url}?folder=${encodeURIComponent(WORKSPACE)}`, { timeout: 180_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
  await page.locator('.activitybar .action-item a[aria-label^="Endless"]').first().waitFor({ timeout: 180_000 });
  // The clock starts at each keydown; a ghost seen in a later frame stops it.
  await page.evaluate(() => {
    const state = { keyAt: 0, ghostAt: 0 };
    globalThis.endlessGhostClock = state;
    document.addEventListener('keydown', () => {
      state.keyAt = performance.now();
      state.ghostAt = 0;
    }, true);
    const visible = () =>
      [...document.querySelectorAll('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, .monaco-editor .ghost-text')]
        .some((node) => (node.textContent ?? '').trim().length > 0);
    new MutationObserver(() => {
      if (state.keyAt && !state.ghostAt && visible()) state.ghostAt = performance.now();
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  const count = Number(values.samples);
  for (let index = 0; index < count; index++) {
    const [file, typed] = SAMPLES[index % SAMPLES.length];
    const label = `[ghost] ${index + 1}. ${file} ${JSON.stringify(typed.split('\n').pop() || typed.trim())}`;
    try {
      await openFile(page, file);
      await page.locator('.editor-instance .monaco-editor.focused').first().waitFor();
      await page.keyboard.press('Control+End');
      await page.keyboard.type(typed, { delay: 60 });
      const ms = await page
        .waitForFunction(() => {
          const { keyAt, ghostAt } = globalThis.endlessGhostClock;
          return ghostAt ? ghostAt - keyAt : false;
        }, undefined, { timeout: 30_000, polling: 50 })
        .then((handle) => handle.jsonValue())
        .catch(() => undefined);
      console.log(`${label}: ${ms === undefined ? 'no ghost text within 30 s' : `${Math.round(ms)} ms`}`);
      if (ms !== undefined) times.push(ms);
      await page.keyboard.press('Escape');
      await revert(page);
    } catch (error) {
      // A slow machine can time out a step of the workbench itself: skip the sample.
      const shot = path.join(ROOT, 'test-results', `ghost-latency-skipped-${index + 1}.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      console.log(`${label}: skipped (${error.message.split('\n')[0]}; screenshot ${shot})`);
      await page.keyboard.press('Escape');
    }
    // Let the previous completion's work drain before the next sample.
    await page.waitForTimeout(1500);
  }
} finally {
  await browser.close();
  await server.stop();
  removeProfile(dirs);
}
const sorted = [...times].sort((a, b) => a - b);
const quantile = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
console.log(
  sorted.length
    ? `[ghost] keystroke -> ghost text over ${sorted.length} samples: p50 ${Math.round(quantile(0.5))} ms, min ${Math.round(sorted[0])} ms, max ${Math.round(sorted.at(-1))} ms`
    : '[ghost] no ghost text was seen',
);


async function revert(page) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill('>File: Revert File');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'File: Revert File' }).first().waitFor();
  await input.press('Enter');
}
