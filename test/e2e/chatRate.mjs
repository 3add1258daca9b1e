// Chat decode rate in the product against the engine alone, on the same model and prompt.
// The product: the packaged extension in code-server, a reply asked for in the chat panel
// through Chromium, tokens counted by the panel's own cache view (tokens streamed through the
// chat stream while the reply was being written, over that wall time). The engine alone:
// `node dist/cli.js generate --json` with the same prompt and reply length.
//   node test/e2e/chatRate.mjs [--turns N] [--max-tokens N] [--vsix FILE]
// Prints one JSON object: per-turn product rates, the engine-alone rate, and their ratio.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../scripts/setup/paths.mjs';
import { installExtension, startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { buildExtension, packageExtension } from '../../scripts/vscode/extension.mjs';
import { testModelDirectory } from '../../scripts/vscode/model.mjs';
import { prepareProfile, removeProfile } from '../../scripts/vscode/profile.mjs';

const { values } = parseArgs({ options: { turns: { type: 'string' }, 'max-tokens': { type: 'string' }, vsix: { type: 'string' } } });
const TURNS = Number(values.turns ?? 3);
const MAX_TOKENS = Number(values['max-tokens'] ?? 384);
const PROMPT = 'Write a long Python module with several functions that parse, validate and summarise CSV files, with docstrings and comments.';
const MODEL = testModelDirectory();

/** Decode tokens per second of the engine alone: the CLI, no extension host, no browser. */
function engineAlone() {
  const args = [path.join(ROOT, 'dist', 'cli.js'), 'generate', '--json', '--prompt', PROMPT, '--max-tokens', String(MAX_TOKENS), '--temperature', '0'];
  if (MODEL) args.push('--model', MODEL);
  const result = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } }));
  const { generatedTokens, totalMs, firstTokenMs } = result.usage;
  return { generatedTokens, tokensPerSec: ((generatedTokens - 1) * 1000) / (totalMs - firstTokenMs) };
}

/**
 * Installed in the panel's page: samples the chat stream's "streamed" counter on every DOM
 * change from the first visible reply text to the end of the reply.
 */
function recordTurn() {
  const streamed = () => {
    const bar = document.querySelector('[data-stream="chat"]');
    const block = bar?.closest('.cache-stream');
    const dd = [...(block?.querySelectorAll('.cache-counter') ?? [])].find((c) => c.querySelector('dt')?.textContent === 'streamed');
    return Number(dd?.querySelector('dd')?.textContent ?? NaN);
  };
  const turn = { samples: [] };
  globalThis.endlessTurn = turn;
  const observer = new MutationObserver(() => {
    const replies = document.querySelectorAll('[data-role="assistant"]');
    const reply = replies[replies.length - 1];
    const live = reply?.getAttribute('aria-busy') === 'true';
    const text = reply?.querySelector('.message-body')?.textContent ?? '';
    if (live && text.length > 0 && !text.startsWith('Thinking')) turn.samples.push([performance.now(), streamed()]);
    if (!live && turn.samples.length > 0 && !turn.end) {
      turn.end = [performance.now(), streamed()];
      observer.disconnect();
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
}

async function product(vsix) {
  const dirs = prepareProfile(`chat-rate-${process.pid}`, { 'endless.modelDirectory': MODEL, 'endless.chat.maxTokens': MAX_TOKENS, 'endless.temperature': 0 }, { fresh: true });
  await installExtension(dirs, vsix);
  const workspace = path.join(ROOT, 'test', 'workspace');
  const server = await startCodeServer({ dirs, args: [workspace] });
  process.env.ENDLESS_E2E_URL = server.url;
  process.env.ENDLESS_E2E_WORKSPACE = workspace;
  process.env.ENDLESS_E2E_SCREENSHOTS = path.join(ROOT, 'test-results', 'chat-rate');
  const { chatFrame, runCommand, eventually, waitForWorkbench, workbenchUrl } = await import('./workbench.mjs');
  const { launchBrowser } = await import('../../scripts/vscode/browser.mjs');
  const browser = await launchBrowser();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  // A loaded machine can take more than the default 30 s to serve the workbench.
  await page.goto(workbenchUrl(), { timeout: 180_000 });
  await waitForWorkbench(page);
  const turns = [];
  try {
    await runCommand(page, 'Endless: Open Chat');
    const chat = chatFrame(page);
    const input = chat.getByRole('textbox', { name: 'Message', exact: true });
    await input.waitFor({ timeout: 60_000 });
    const frame = await (await chat.locator('body').elementHandle()).ownerFrame();
    for (let i = 0; i < TURNS; i++) {
      // A fresh chat stream each turn, so every turn decodes at the same context length.
      await chat.getByRole('button', { name: 'New session' }).click();
      await eventually('an empty transcript', async () => (await chat.locator('[data-role]').count()) === 0, 30_000);
      await frame.evaluate(recordTurn);
      await input.fill(PROMPT);
      await input.press('Enter');
      const turn = await eventually('the reply to finish', () => frame.evaluate(() => globalThis.endlessTurn.end && globalThis.endlessTurn), 300_000);
      // Let the last statistics (sent at most 10 times a second) arrive.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const total = await frame.evaluate(() => {
        const block = document.querySelector('[data-stream="chat"]')?.closest('.cache-stream');
        const dd = [...block.querySelectorAll('.cache-counter')].find((c) => c.querySelector('dt')?.textContent === 'streamed');
        return Number(dd.querySelector('dd').textContent);
      });
      // Start at the first counter change after the first visible text: from then on the
      // counter moves by decoded tokens only (the prompt's prefill is already in it).
      const [t0, n0] = turn.samples.find(([, n]) => n !== turn.samples[0][1]) ?? turn.samples[0];
      const [t1] = turn.end;
      turns.push({ tokens: total - n0, seconds: (t1 - t0) / 1000, tokensPerSec: ((total - n0) * 1000) / (t1 - t0) });
    }
  } finally {
    await browser.close();
    await server.stop();
    removeProfile(dirs);
  }
  return turns;
}

let vsix = values.vsix && path.resolve(values.vsix);
if (!vsix) {
  await buildExtension();
  vsix = await packageExtension();
}
const alone = engineAlone();
const turns = await product(vsix);
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const productRate = median(turns.map((t) => t.tokensPerSec));
console.log(JSON.stringify({ model: MODEL || 'bundled', maxTokens: MAX_TOKENS, engineAlone: alone, product: { turns, medianTokensPerSec: productRate }, ratio: productRate / alone.tokensPerSec }, null, 2));
