// End-to-end: the packaged extension in real VS Code (code-server) driven through Chromium,
// as a user would: the chat panel, Stop, ghost text in an editor, the status bar, a reload.
// The steps share one browser tab and run in order; each leaves a screenshot.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatFrame, eventually, openFile, openWorkbench, runCommand, screenshot, waitForWorkbench } from './workbench.mjs';

const FIRST_MESSAGE = 'Write a Python function that reverses a string.';

/** Text of the editor's rendered lines, with the non-breaking spaces Monaco renders undone. */
async function editorText(page) {
  const lines = await page.locator('.editor-instance .view-lines .view-line').allTextContents();
  return lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
}

/** Waits until `text()` has not changed for `quietMs` (a finished or stopped reply). */
async function settled(text, quietMs = 2500, timeoutMs = 180_000) {
  let last = await text();
  let since = Date.now();
  return eventually('the reply to settle', async () => {
    const now = await text();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return Date.now() - since >= quietMs ? now : undefined;
  }, timeoutMs);
}

/** Types into an editor at the end of the file and waits for the model's ghost text. */
async function ghostTextAfterTyping(page, file, typed) {
  await openFile(page, file);
  await page.keyboard.press('Control+End');
  await page.keyboard.type(typed, { delay: 20 });
  const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview').first();
  await ghost.waitFor({ state: 'visible', timeout: 120_000 });
  const shown = ((await ghost.textContent()) ?? '').replace(/\u00a0/g, ' ');
  assert.ok(shown.trim().length > 0, 'the ghost text is not blank');
  return shown;
}

describe('Endless in VS Code (browser)', () => {
  let browser;
  let page;

  before(async () => {
    ({ browser, page } = await openWorkbench());
  });
  after(async () => {
    await browser?.close();
  });

  it('opens the chat panel from the activity bar', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Endless"]').first().click();
    const chat = chatFrame(page);
    await chat.getByLabel('Message').waitFor({ timeout: 60_000 });
    await chat.getByRole('region', { name: 'Cache' }).waitFor();
    await chat.getByRole('button', { name: 'Send' }).waitFor();
    await screenshot(page, '01-chat-panel');
  });

  it('streams a reply and grows the chat cache bar', async () => {
    const chat = chatFrame(page);
    const bar = chat.locator('[data-stream="chat"]');
    const usedBefore = Number(await bar.getAttribute('data-used'));
    await chat.getByLabel('Message').fill(FIRST_MESSAGE);
    await chat.getByRole('button', { name: 'Send' }).click();
    await chat.locator('[data-role="user"]', { hasText: FIRST_MESSAGE }).waitFor();
    const reply = chat.locator('[data-role="assistant"]').last();
    // Streaming: the reply is seen at two or more different non-empty lengths.
    const lengths = new Set();
    await eventually('the reply to stream', async () => {
      const text = ((await reply.textContent()) ?? '').trim();
      if (text) lengths.add(text.length);
      return lengths.size >= 2;
    }, 120_000);
    await screenshot(page, '02-chat-streaming');
    const final = await settled(async () => (await reply.textContent()) ?? '');
    assert.ok(final.trim().length > 0, 'the reply has text');
    const usedAfter = Number(await bar.getAttribute('data-used'));
    const capacity = Number(await bar.getAttribute('data-capacity'));
    assert.ok(usedAfter > usedBefore, `the chat cache bar grew (${usedBefore} -> ${usedAfter})`);
    assert.ok(usedAfter <= capacity && capacity > 0, `used ${usedAfter} fits capacity ${capacity}`);
    await screenshot(page, '03-chat-reply');
  });

  it('stops a reply with Stop', async () => {
    const chat = chatFrame(page);
    const replies = chat.locator('[data-role="assistant"]');
    const before = await replies.count();
    await chat.getByLabel('Message').fill('Explain in detail, step by step, how a hash map handles collisions.');
    await chat.getByLabel('Message').press('Enter');
    const reply = replies.nth(before);
    await eventually('the second reply to start', async () => ((await reply.textContent()) ?? '').trim().length > 0, 120_000);
    await chat.getByRole('button', { name: 'Stop' }).click();
    const stopped = (await reply.textContent()) ?? '';
    // Stop ends the reply at once: it no longer grows (allowing one token already in flight).
    const after = await settled(async () => (await reply.textContent()) ?? '', 2000, 10_000);
    assert.ok(after.length - stopped.length < 40, `the reply stopped growing (${stopped.length} -> ${after.length} chars)`);
    await screenshot(page, '04-chat-stopped');
  });

  it('shows ghost text in a TypeScript file and accepts it with Tab', async () => {
    const shown = await ghostTextAfterTyping(page, 'src/shapes.ts', '\nexport function area(width: number, height: number): number {\n');
    await screenshot(page, '05-ghost-text-typescript');
    const firstLine = shown.split('\n').find((line) => line.trim())?.trim() ?? '';
    await page.keyboard.press('Tab');
    await eventually('the accepted text in the editor', async () => (await editorText(page)).includes(firstLine), 10_000);
    await screenshot(page, '06-ghost-text-accepted');
    await runCommand(page, 'File: Revert File');
  });

  it('shows ghost text in a Python file', async () => {
    await ghostTextAfterTyping(page, 'src/stats.py', '\n\ndef standard_deviation(values):\n');
    await screenshot(page, '07-ghost-text-python');
    await page.keyboard.press('Escape');
    await runCommand(page, 'File: Revert File');
  });

  it('shows the cache readout in the status bar', async () => {
    const item = page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first();
    await item.waitFor();
    const text = ((await item.textContent()) ?? '').trim();
    assert.match(text, /^Endless\b.*\d/, `the readout shows numbers: ${JSON.stringify(text)}`);
    await item.hover();
    await page.locator('.monaco-hover, .workbench-hover').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await screenshot(page, '08-status-bar');
  });

  it('restores the transcript after a reload', async () => {
    await page.reload();
    await waitForWorkbench(page);
    // The panel may come back open after a reload; the command shows it either way.
    await runCommand(page, 'Endless: Open Chat');
    const chat = chatFrame(page);
    await chat.locator('[data-role="user"]', { hasText: FIRST_MESSAGE }).waitFor({ timeout: 60_000 });
    assert.ok((await chat.locator('[data-role="assistant"]').count()) >= 1, 'the replies are restored too');
    await screenshot(page, '09-transcript-restored');
  });
});
