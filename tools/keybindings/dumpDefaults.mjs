// Writes VS Code's default keybindings for Linux, Windows and macOS to
// test/unit/data/vscode-default-keybindings.json, read from real VS Code: code-server's web
// workbench (no extensions installed) evaluates every `KeybindingsRegistry` registration of
// microsoft/vscode and renders them as "Preferences: Open Default Keyboard Shortcuts (JSON)".
// The workbench picks the platform's bindings from the browser's user agent, so each platform
// is read with its own user agent. Run again after updating code-server:
//   node tools/keybindings/dumpDefaults.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_PKG, ROOT } from '../../scripts/setup/paths.mjs';
import { launchBrowser } from '../../scripts/vscode/browser.mjs';
import { startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { prepareProfile, removeProfile } from '../../scripts/vscode/profile.mjs';

const USER_AGENTS = {
  linux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
};
const OUT = path.join(ROOT, 'test', 'unit', 'data', 'vscode-default-keybindings.json');

async function readDefaults(browser, url, userAgent) {
  const context = await browser.newContext({ userAgent, viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  await page.goto(url, { timeout: 120_000, waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(3000);
  const input = page.locator('.quick-input-widget input.input');
  await page.keyboard.press('F1');
  await input.fill('>Preferences: Open Default Keyboard Shortcuts (JSON)');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Default Keyboard Shortcuts (JSON)' }).first().waitFor();
  await input.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor();
  await page.waitForTimeout(1500);
  await editor.click();
  // Select all and copy through the workbench's own commands (keys differ per platform).
  for (const command of ['Select All', 'Copy']) {
    await page.keyboard.press('F1');
    await input.fill(`>${command}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
    await input.press('Enter');
    await page.waitForTimeout(500);
  }
  const text = await page.evaluate(() => navigator.clipboard.readText());
  await context.close();
  // The file is JSON with whole-line comments (a header and a list of unbound commands).
  const json = text.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n');
  return JSON.parse(json).map(({ key, command, when }) => (when ? { key, command, when } : { key, command }));
}

const version = JSON.parse(readFileSync(path.join(CODE_SERVER_PKG, 'lib', 'vscode', 'package.json'), 'utf8')).version;
const dirs = prepareProfile(`keybindings-${process.pid}`, {}, { fresh: true });
const server = await startCodeServer({ dirs });
const browser = await launchBrowser();
const platforms = {};
try {
  for (const [platform, userAgent] of Object.entries(USER_AGENTS)) {
    platforms[platform] = await readDefaults(browser, server.url, userAgent);
    console.log(`${platform}: ${platforms[platform].length} keybindings`);
  }
} finally {
  await browser.close();
  await server.stop();
  removeProfile(dirs);
}
mkdirSync(path.dirname(OUT), { recursive: true });
const lines = [
  '{',
  `  "source": ${JSON.stringify(`VS Code ${version} (code-server), Preferences: Open Default Keyboard Shortcuts (JSON), no extensions installed; written by tools/keybindings/dumpDefaults.mjs. The bindings are registered in microsoft/vscode with KeybindingsRegistry (e.g. src/vs/workbench/contrib/chat/browser/actions/chatActions.ts binds ctrl+alt+i / cmd+ctrl+i to the Chat view).`)},`,
  '  "platforms": {',
  Object.entries(platforms)
    .map(([platform, list]) => `    "${platform}": [\n${list.map((entry) => `      ${JSON.stringify(entry)}`).join(',\n')}\n    ]`)
    .join(',\n'),
  '  }',
  '}',
];
writeFileSync(OUT, lines.join('\n') + '\n');
console.log(`wrote ${path.relative(ROOT, OUT)}`);
