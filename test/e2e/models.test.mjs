// End-to-end: choosing a catalogue model in real VS Code (code-server) through Chromium, as a
// user would: "Endless: Select Model", the download's progress notification, the engine
// restarting with the new model while the chat transcript stays, and a chat reply from it.
// The model is served by the local Hub stand-in the runner starts (test/e2e/fixtureHub.mjs),
// which endless.hub.endpoint points at; real Hub access is not tested here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatFrame, eventually, openWorkbench, runCommand, screenshot, withScreenshotOnFailure } from './workbench.mjs';

const MODEL = process.env.ENDLESS_E2E_HUB_MODEL;
const EARLIER = 'Before switching: what does a sink token do?';
const LATER = 'After switching: say hello.';

/** Picks the item whose label has `text` from the open QuickPick. */
async function pick(page, filter, text) {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill(filter);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
}

async function openChat(page) {
  await runCommand(page, 'Endless: Open Chat');
  const chat = chatFrame(page);
  await chat.getByRole('textbox', { name: 'Message', exact: true }).waitFor({ timeout: 60_000 });
  return chat;
}

async function sendAndWait(chat, text) {
  const replies = chat.locator('[data-role="assistant"]');
  const before = await replies.count();
  await chat.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await chat.getByRole('button', { name: 'Send' }).click();
  await chat.locator('[data-role="user"]', { hasText: text }).waitFor();
  await eventually('a new reply', async () => (await replies.count()) > before, 120_000);
  await chat.locator('[data-role="assistant"][aria-busy="true"]').waitFor({ state: 'detached', timeout: 180_000 });
  return replies.nth(before);
}

describe('Select Model (browser)', () => {
  let browser;
  let page;

  before(async () => {
    assert.ok(MODEL, 'the runner names the catalogue model its local Hub serves (ENDLESS_E2E_HUB_MODEL)');
    ({ browser, page } = await openWorkbench());
  });
  after(async () => {
    await browser?.close();
  });
  const step = (title, slug, body) => it(title, withScreenshotOnFailure(slug, body, () => page));

  step('chats with the model in use before switching', 'models-before', async () => {
    await page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first().waitFor({ timeout: 120_000 });
    const chat = await openChat(page);
    await sendAndWait(chat, EARLIER);
  });

  step('lists the bundled model, the catalogue and Browse…', 'models-picker', async () => {
    await runCommand(page, 'Endless: Select Model');
    const list = page.locator('.quick-input-list');
    await list.locator('.monaco-list-row', { hasText: MODEL }).first().waitFor({ timeout: 30_000 });
    await list.locator('.monaco-list-row', { hasText: 'Browse…' }).first().waitFor();
    const text = (await list.textContent()) ?? '';
    assert.match(text, /needs ~[\d.]+ GB RAM/, 'catalogue entries say what they need');
    assert.match(text, /Downloads from .+ when chosen/, 'and that choosing one downloads it');
    await screenshot(page, '20-model-picker');
  });

  step('downloads the chosen catalogue model with progress, then switches to it', 'models-download', async () => {
    await pick(page, MODEL.split(' ')[0], MODEL);
    // The progress notification: bytes of the total, speed and time left.
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `downloading ${MODEL}` }).first();
    await toast.waitFor({ timeout: 60_000 });
    const progress = await eventually(
      'bytes, speed and time left in the notification',
      async () => {
        const text = ((await toast.textContent().catch(() => '')) ?? '').replace(/\s+/g, ' ');
        return /\d+(\.\d+)? [KM]B of \d+(\.\d+)? [KM]B · \d+(\.\d+)? [KM]B\/s · \d+ s left/.test(text) ? text : undefined;
      },
      60_000,
    );
    await screenshot(page, '21-model-download-progress');
    assert.match(progress, /Cancel|downloading/);
    // Once verified and checked, the engine restarts with it: the panel names the new model.
    const chat = chatFrame(page);
    const folder = await eventually(
      'the panel to show the new model ready',
      async () => {
        const status = ((await chat.locator('.engine-status').textContent().catch(() => '')) ?? '').trim();
        return /ready$/.test(status) && !/default/.test(status) ? status : undefined;
      },
      180_000,
    );
    assert.match(folder, /-q4 ready$/, `the downloaded model's folder name shows: ${folder}`);
  });

  step('keeps the transcript and replies with the new model', 'models-chat', async () => {
    const chat = chatFrame(page);
    await chat.locator('[data-role="user"]', { hasText: EARLIER }).waitFor({ timeout: 10_000 });
    const reply = await sendAndWait(chat, LATER);
    assert.ok(((await reply.textContent()) ?? '').trim().length > 0, 'the new model wrote a reply');
    // The status bar names the model too.
    await page.locator('.statusbar-item', { hasText: /^\s*Endless\b.*-q4\s*$/ }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, '22-model-switched-chat');
  });

  step('switches back to the bundled model from the picker', 'models-back', async () => {
    await runCommand(page, 'Endless: Select Model');
    const list = page.locator('.quick-input-list');
    // The downloaded model is now listed as downloaded and current.
    await list.locator('.monaco-list-row', { hasText: 'Downloaded' }).first().waitFor({ timeout: 30_000 });
    await pick(page, 'bundled', 'Endless default model');
    const chat = chatFrame(page);
    await eventually('the panel to leave the downloaded model', async () => {
      const status = ((await chat.locator('.engine-status').textContent().catch(() => '')) ?? '').trim();
      return !/-q4/.test(status) && /ready$|loads when/.test(status);
    }, 180_000);
  });

  step('deletes the download from the picker, after asking', 'models-delete', async () => {
    await runCommand(page, 'Endless: Select Model');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: MODEL }).first();
    await row.hover();
    await row.locator('.action-label[aria-label="Delete the downloaded files"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.getByText(`Delete the downloaded files of ${MODEL}?`).waitFor({ timeout: 30_000 });
    await screenshot(page, '23-model-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    // The picker shows again, the model back to "downloads when chosen".
    await page.locator('.quick-input-list .monaco-list-row', { hasText: MODEL }).filter({ hasText: 'when chosen' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
  });
});
