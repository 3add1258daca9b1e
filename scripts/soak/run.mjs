// `npm run soak`: a long session in real VS Code (code-server, the harness the extension-host
// suites use) with the real model: chat turns with short replies, interleaved with typing,
// inline completions, edits across files and file switches. Prints a table, or with --json one
// object; exits non-zero when a goal is missed (latency growth, memory growth, storage cap,
// panel cap).
//   npm run soak [-- --quick] [--json] [--turns N] [--keystrokes N] [--minutes M] [--out DIR]
// Sampling starts after warm-up turns that bring every bounded part of the session to its bound.
// --quick is the CI-sized run (1,000 turns, 10,000 keystrokes; its budget lets a 2-core machine,
// ~1 s a turn while the browser draws every keystroke, finish them). --out writes soak.json and
// soak.svg (latency and memory against turn) to DIR.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { ROOT, CACHE } from '../setup/paths.mjs';
import { setup } from '../setup/index.mjs';
import { buildExtension } from '../vscode/extension.mjs';
import { prepareProfile, removeProfile } from '../vscode/profile.mjs';
import { startCodeServer } from '../vscode/codeServer.mjs';
import { launchBrowser } from '../vscode/browser.mjs';
import { testModelDirectory } from '../vscode/model.mjs';
import { summarize, goals } from './summary.mjs';
import { plot } from './plot.mjs';


/** Runs the soak; resolves with its summary. */
export async function runSoak({ turns, keystrokes, minutes, warmup = { turns: 120, keystrokes: 1000 }, share = 0.1, quiet = false }) {
  const say = (line) => quiet || console.error(`[soak] ${line}`);
  const outDir = path.join(ROOT, 'out', 'soak');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test', 'soak', 'driver.ts')],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  const resultsFile = path.join(outDir, 'results.json');
  const workspace = path.join(CACHE, `soak-workspace-${process.pid}`);
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(path.join(workspace, 'soak'), { recursive: true });
  const dirs = prepareProfile(
    `soak-${process.pid}`,
    {
      'endless.modelDirectory': testModelDirectory(),
      // Short replies so that a turn is quick; the cost per turn is what is measured.
      'endless.chat.maxTokens': 8,
      'endless.completion.maxTokens': 8,
      // VS Code asks for ghost text itself after this pause in typing; the driver asks at word ends.
      'endless.completion.delayMs': 150,
    },
    { fresh: true },
  );
  const server = await startCodeServer({
    dirs,
    args: ['--vscode-option', 'enable-smoke-test-driver'],
    env: {
      ENDLESS_SOAK_RESULTS: resultsFile,
      ENDLESS_SOAK_LOG: path.join(outDir, 'soak.log'),
      ENDLESS_SOAK_TURNS: String(turns),
      ENDLESS_SOAK_KEYSTROKES: String(keystrokes),
      ENDLESS_SOAK_WARMUP_TURNS: String(warmup.turns),
      ENDLESS_SOAK_WARMUP_KEYSTROKES: String(warmup.keystrokes),
      ENDLESS_SOAK_BUDGET_MS: String(minutes * 60_000),
    },
  });
  let browser;
  let panelMessages = null;
  let panelCap = null;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    let reportExit;
    const ended = new Promise((resolve) => {
      reportExit = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code) => reportExit(code));
    await page.exposeFunction('codeAutomationLog', () => undefined);
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(outDir, 'driver'))],
    ];
    say(`${turns} turns, ${keystrokes} keystrokes, at most ${minutes} min`);
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { timeout: 180_000 });
    // The panel is counted while the session runs: once the driver ends, the window closes.
    let counting = true;
    const counted = (async () => {
      while (counting) {
        const now = await countPanelMessages(page);
        if (now.panelMessages !== null) {
          panelMessages = Math.max(panelMessages ?? 0, now.panelMessages);
          // a read that timed out under load keeps the cap an earlier read found
          panelCap = now.panelCap ?? panelCap;
        }
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
    })();
    const code = await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve('timeout'), (minutes + 5) * 60_000))]);
    counting = false;
    await counted;
    if (code !== 0) say(`the driver ended with ${code}`);
  } finally {
    await browser?.close();
    await server.stop();
    removeProfile(dirs);
    rmSync(workspace, { recursive: true, force: true });
  }
  if (!existsSync(resultsFile)) throw new Error(`the soak reported no results; see ${path.join(outDir, 'soak.log')}`);
  const raw = JSON.parse(readFileSync(resultsFile, 'utf8'));
  return { summary: summarize(raw, { panelMessages, panelCap }, share), samples: raw.samples };
}

/**
 * Messages in the chat panel's DOM, read from the webview, and the cap the panel keeps them
 * within when it states one (`data-cap` on its message list); null when not found.
 */
async function countPanelMessages(page) {
  try {
    const chat = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const list = chat.locator('[data-role]');
    await list.first().waitFor({ timeout: 2000 });
    const panelMessages = await list.count();
    const capAttribute = await chat.locator('[data-cap]').first().getAttribute('data-cap', { timeout: 2000 }).catch(() => null);
    return { panelMessages, panelCap: capAttribute === null ? null : Number(capAttribute) };
  } catch {
    return { panelMessages: null, panelCap: null };
  }
}

function table(summary) {
  const row = (name, value) => `${name.padEnd(28)} ${value}`;
  return [
    row('turns', summary.turns),
    row('keystrokes', summary.keystrokes),
    row('tokens streamed', summary.tokensStreamed),
    row('first token ms (first/last)', `${summary.firstTokenMs.first.toFixed(1)} / ${summary.firstTokenMs.last.toFixed(1)}`),
    row('turn overhead ms (first/last)', `${summary.turnOverheadMs.first.toFixed(1)} / ${summary.turnOverheadMs.last.toFixed(1)}`),
    row('CPU ms per turn (first/last)', `${summary.turnCpuMs.first.toFixed(1)} / ${summary.turnCpuMs.last.toFixed(1)}`),
    row('host RSS MB (start/end)', `${summary.rssMb.extensionHost.start.toFixed(0)} / ${summary.rssMb.extensionHost.end.toFixed(0)}`),
    row('stored bytes / cap', `${summary.storedBytes} / ${summary.storageCapBytes}`),
    row('panel messages / cap', `${summary.panelMessages ?? 'not measured'} / ${summary.panelCap ?? 'not stated'}`),
    row('seconds', summary.seconds.toFixed(0)),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      turns: { type: 'string' },
      keystrokes: { type: 'string' },
      minutes: { type: 'string' },
      out: { type: 'string' },
    },
  });
  await setup({});
  await buildExtension();
  const quick = values.quick === true;
  const turns = Number(values.turns ?? (quick ? 1000 : 10000));
  const keystrokes = Number(values.keystrokes ?? (quick ? 10000 : 100000));
  const minutes = Number(values.minutes ?? (quick ? 30 : 10));
  const { summary, samples } = await runSoak({ turns, keystrokes, minutes });
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(path.join(values.out, 'soak.json'), `${JSON.stringify({ summary, samples }, null, 1)}\n`);
    writeFileSync(path.join(values.out, 'soak.svg'), plot(samples, summary));
  }
  const missed = goals(summary);
  if (values.json) console.log(JSON.stringify({ ...summary, missed }));
  else {
    console.log(table(summary));
    console.log(missed.length === 0 ? 'all goals met' : `goals missed:\n  ${missed.join('\n  ')}`);
  }
  process.exit(missed.length === 0 ? 0 : 1);
}
