// Page helpers for driving VS Code's workbench (served by code-server) the way a user does:
// keyboard, command palette, clicks. The runner (run.mjs) passes the server's address and
// the screenshot folder through the environment.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser } from '../../scripts/vscode/browser.mjs';

export { openFile } from './quickOpen.mjs';

export const SERVER_URL = process.env.ENDLESS_E2E_URL;
export const WORKSPACE = process.env.ENDLESS_E2E_WORKSPACE;
export const SCREENSHOTS = process.env.ENDLESS_E2E_SCREENSHOTS;
if (!SERVER_URL || !WORKSPACE || !SCREENSHOTS) {
  throw new Error('Run the browser tests through test/e2e/run.mjs (or `npm test`): it starts code-server for them.');
}

export const workbenchUrl = () => `${SERVER_URL}?folder=${encodeURIComponent(WORKSPACE)}`;

/** A browser tab with the workbench loaded and the extension host up. */
export async function openWorkbench() {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  // A loaded machine (CI has 2 cores) can take more than the default 30 s to serve the workbench,
  // on the first load and on a reload.
  page.setDefaultNavigationTimeout(180_000);
  await page.goto(workbenchUrl());
  await waitForWorkbench(page);
  return { browser, page };
}

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
  // The activity bar entry appears once the extension's contributions are registered.
  await page.locator('.activitybar .action-item a[aria-label^="Endless"]').first().waitFor({ timeout: 180_000 });
}

/**
 * Wraps a test body so that a failure leaves a screenshot of the moment it happened.
 * `name` becomes the file name.
 */
export function withScreenshotOnFailure(name, body, getPage) {
  return async () => {
    try {
      await body();
    } catch (error) {
      const page = getPage();
      if (page) await screenshot(page, `FAILED-${name}`).catch(() => undefined);
      throw error;
    }
  };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Runs a command by its title from the command palette. Right after a (re)load the palette
 * can open before the commands are known, so an empty result is retried.
 */
export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input.input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${title}`);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
      await input.press('Enter');
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (attempt === 3) throw error;
    }
  }
}


/** The chat panel's document: two nested iframes (VS Code's webview host, then our page). */
export function chatFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Polls `probe` until it returns a truthy value; throws with `what` on timeout. */
export async function eventually(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
