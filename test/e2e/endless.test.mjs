// End-to-end: the packaged extension in real VS Code (code-server) driven through Chromium,
// as a user would: the chat panel, Stop, ghost text in an editor, the status bar, a reload.
// The steps share one browser tab and run in order; each leaves a screenshot.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chatFrame,
  eventually,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  waitForWorkbench,
  withScreenshotOnFailure,
} from './workbench.mjs';

const FIRST_MESSAGE = 'Write a Python function that reverses a string.';
/** Prompts that ask for long replies, for pressing Stop while one is being written. */
const STOP_PROMPTS = [
  'Write a detailed tutorial on hash maps in JavaScript, with many examples.',
  'Explain closures in JavaScript step by step, with a code example for each step.',
  'Write a Python class for a linked list with insert, remove, find and reverse methods.',
];

/** Text of the editor's rendered lines, with the non-breaking spaces Monaco renders undone. */
async function editorText(page) {
  // Ghost text is drawn inside the view lines: leave it out, so that only what the editor
  // holds is read (a suggestion still on screen would otherwise read as accepted text).
  const lines = await page.locator('.editor-instance .view-lines .view-line').evaluateAll((views) =>
    views
      .map((view) => ({ top: parseFloat(view.style.top) || 0, view: view.cloneNode(true) }))
      .sort((a, b) => a.top - b.top)
      .map(({ view }) => {
        for (const ghost of view.querySelectorAll('[class*="ghost-text"]')) ghost.remove();
        return view.textContent ?? '';
      }),
  );
  return lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
}

/**
 * The panel's page, with a helper installed in it: `endlessWritten(article)` gives the text
 * the model wrote into a reply element (its message body, without the author label, the
 * "Thinking…" placeholder, code-block toolbars or the closing note).
 */
async function panelPage(chat) {
  const frame = await (await chat.locator('body').elementHandle()).ownerFrame();
  await frame.evaluate(() => {
    globalThis.endlessWritten = (article) => {
      const body = article?.querySelector('.message-body')?.cloneNode(true);
      if (!body) return '';
      // Labels the panel adds around the model's words: the placeholder and code-block toolbars.
      for (const added of body.querySelectorAll('.thinking, .code-toolbar')) added.remove();
      return (body.textContent ?? '').trim();
    };
  });
  return frame;
}

const writtenIn = (reply) => reply.evaluate((article) => globalThis.endlessWritten(article));

/**
 * Records, inside the panel's page, every length the last reply's text takes as the DOM
 * changes: polling from outside can miss a reply that streams faster than it polls.
 */
async function recordReplyLengths(chat) {
  const frame = await panelPage(chat);
  await frame.evaluate(() => {
    const written = globalThis.endlessWritten;
    const seen = new Set();
    const used = new Set();
    globalThis.endlessReplyLengths = seen;
    globalThis.endlessChatUsed = used;
    new MutationObserver(() => {
      const replies = document.querySelectorAll('[data-role="assistant"]');
      const text = written(replies[replies.length - 1]);
      if (text) seen.add(text.length);
      const bar = document.querySelector('[data-stream="chat"]');
      if (bar) used.add(Number(bar.getAttribute('data-used')));
    }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  });
}

/** The Stop action in the chat view's title bar (outside the webview). */
const STOP_IN_TITLE = '.title-actions a.action-label[aria-label^="Stop"], .actions-container a.action-label[aria-label^="Stop"]';
const stopInTitle = (page) => page.locator(STOP_IN_TITLE);

/** Records, in the workbench page, whether Stop ever shows in the view title. */
async function recordStopInTitle(page) {
  await page.evaluate((selector) => {
    globalThis.endlessStopInTitleSeen = false;
    new MutationObserver(() => {
      if (document.querySelector(selector)) globalThis.endlessStopInTitleSeen = true;
    }).observe(document.body, { childList: true, subtree: true, attributes: true });
  }, STOP_IN_TITLE);
}

async function replyLengths(chat) {
  const frame = await (await chat.locator('body').elementHandle()).ownerFrame();
  return frame.evaluate(() => [...(globalThis.endlessReplyLengths ?? [])]);
}

/** Every value the chat cache bar's data-used took since recordReplyLengths. */
async function chatBarValues(chat) {
  const frame = await (await chat.locator('body').elementHandle()).ownerFrame();
  return frame.evaluate(() => [...(globalThis.endlessChatUsed ?? [])]);
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
  const pieces = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview');
  await pieces.first().waitFor({ state: 'visible', timeout: 120_000 });
  const text = (piece) => (piece ?? '').replace(/\u00a0/g, ' ');
  // A suggestion is drawn in pieces: one that starts with indentation (the cursor at column 1)
  // puts the indentation alone in the first, so all of them are read to judge it blank.
  const all = (await pieces.allTextContents()).map(text);
  assert.ok(all.join('').trim().length > 0, `the ghost text is not blank: ${JSON.stringify(all)}`);
  return all[0];
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
  /** `it`, with a screenshot named after the test when it fails. */
  const step = (title, slug, body) => it(title, withScreenshotOnFailure(slug, body, () => page));

  step('waits idle: no model is loaded before Endless is used', 'idle', async () => {
    const item = page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first();
    // The item appears once the extension host has started and activated Endless.
    await item.waitFor({ timeout: 120_000 });
    assert.match(((await item.textContent()) ?? '').trim(), /^Endless\b.*\bidle$/);
  });

  step('opens the walkthrough', 'walkthrough', async () => {
    await runCommand(page, 'Endless: Get Started');
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Get started with Endless').first().waitFor({ timeout: 30_000 });
    for (const title of ['What Endless is', 'Open the chat', 'Try a completion', 'See the cache view', 'Pick a model']) {
      await walkthrough.locator('.getting-started-step', { hasText: title }).first().waitFor();
    }
    // The first step's page is shown beside the list, rendered from its markdown in a webview
    // (the only one open at this point).
    const stepPage = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await stepPage.getByText('Local and offline.').first().waitFor({ timeout: 60_000 });
    await screenshot(page, '00-walkthrough');
    // Nothing in it loads the model until a step is used.
    const item = page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first();
    assert.match(((await item.textContent()) ?? '').trim(), /\bidle$/);
    await runCommand(page, 'View: Close All Editors');
    // The chat panel's webview must be the only one from here on.
    await page.locator('iframe.webview').waitFor({ state: 'detached', timeout: 30_000 });
  });

  step('opens the chat panel from the activity bar', 'chat-panel', async () => {
    const entry = page.locator('.activitybar .action-item:has(a[aria-label^="Endless"])').first();
    // Clicking the entry of a container that is already showing (`checked`) would close it.
    if (!/\bchecked\b/.test((await entry.getAttribute('class')) ?? '')) await entry.click();
    const chat = chatFrame(page);
    await chat.getByRole('textbox', { name: 'Message', exact: true }).waitFor({ timeout: 60_000 });
    await chat.getByRole('region', { name: 'Cache' }).waitFor();
    await chat.getByRole('button', { name: 'Send' }).waitFor();
    await screenshot(page, '01-chat-panel');
  });

  step('streams a reply and grows the chat cache bar', 'chat-stream', async () => {
    const chat = chatFrame(page);
    const bar = chat.locator('[data-stream="chat"]');
    const usedBefore = Number(await bar.getAttribute('data-used'));
    await recordReplyLengths(chat);
    await recordStopInTitle(page);
    await chat.getByRole('textbox', { name: 'Message', exact: true }).fill(FIRST_MESSAGE);
    await chat.getByRole('button', { name: 'Send' }).click();
    await chat.locator('[data-role="user"]', { hasText: FIRST_MESSAGE }).waitFor();
    const reply = chat.locator('[data-role="assistant"]').last();
    // Streaming: the reply is seen at two or more different non-empty lengths.
    await eventually('the reply to stream', async () => (await replyLengths(chat)).length >= 2, 120_000);
    await screenshot(page, '02-chat-streaming');
    // A reply being written is marked busy; wait for the end.
    await chat.locator('[data-role="assistant"][aria-busy="true"]').waitFor({ state: 'detached', timeout: 180_000 });
    const final = await writtenIn(reply);
    assert.ok(final.length > 0, 'the reply has text');
    const usedAfter = Number(await bar.getAttribute('data-used'));
    const capacity = Number(await bar.getAttribute('data-capacity'));
    assert.ok(usedAfter > usedBefore, `the chat cache bar grew (${usedBefore} -> ${usedAfter})`);
    // It grew live, while the reply streamed, not only once at the end.
    const between = (await chatBarValues(chat)).filter((v) => v > usedBefore && v < usedAfter);
    assert.ok(between.length > 0, `the bar moved through values between ${usedBefore} and ${usedAfter}`);
    assert.ok(usedAfter <= capacity && capacity > 0, `used ${usedAfter} fits capacity ${capacity}`);
    // The window the model got (derived: the setting is 0) is what the model line names.
    const modelLine = (await chat.locator('.cache-model').textContent()) ?? '';
    assert.match(modelLine, /window [1-9]\d*/, `the model line names the real window: ${JSON.stringify(modelLine)}`);
    // The view's title showed Stop while the reply streamed, and hides it once it ended.
    assert.ok(await page.evaluate(() => globalThis.endlessStopInTitleSeen), 'Stop appeared in the view title while streaming');
    await stopInTitle(page).waitFor({ state: 'detached', timeout: 10_000 });
    await screenshot(page, '03-chat-reply');
  });

  step('stops a reply with Stop', 'chat-stop', async () => {
    const chat = chatFrame(page);
    const replies = chat.locator('[data-role="assistant"]');
    const frame = await panelPage(chat);
    // A reply the model ends within the moment Stop takes to reach it is complete, not stopped:
    // a short greedy reply on a fast machine can. Another prompt is then tried.
    let stoppedAt = 0;
    let reply;
    for (const prompt of STOP_PROMPTS) {
      const before = await replies.count();
      // Stop is clicked from inside the page the moment the first words of the reply show:
      // a small model can finish a reply before a round trip from the test would arrive.
      await frame.evaluate((count) => {
        const written = globalThis.endlessWritten;
        globalThis.endlessStoppedAt = 0;
        const observer = new MutationObserver(() => {
          const shown = document.querySelectorAll('[data-role="assistant"]')[count];
          const stop = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stop');
          if (written(shown) && stop && !stop.disabled) {
            observer.disconnect();
            globalThis.endlessStoppedAt = written(shown).length;
            stop.click();
          }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
      }, before);
      await chat.getByRole('textbox', { name: 'Message', exact: true }).fill(prompt);
      await chat.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
      reply = replies.nth(before);
      await reply.waitFor();
      await chat.locator('[data-role="assistant"][aria-busy="true"]').waitFor({ state: 'detached', timeout: 120_000 });
      if (await reply.getByText('Stopped.').isVisible()) {
        stoppedAt = await frame.evaluate(() => globalThis.endlessStoppedAt);
        break;
      }
    }
    assert.ok(stoppedAt > 0, `one of ${STOP_PROMPTS.length} replies was stopped after it had started to stream`);
    // Stop ends the reply at once: it no longer grows (allowing for a token already in flight).
    const after = await settled(() => writtenIn(reply), 2000, 10_000);
    assert.ok(after.length - stoppedAt < 40, `the reply stopped growing (${stoppedAt} -> ${after.length} chars)`);
    assert.ok(await chat.getByRole('button', { name: 'Send' }).isEnabled(), 'Send is available again');
    await screenshot(page, '04-chat-stopped');
  });

  step('shows ghost text in a TypeScript file and accepts it with Tab', 'ghost-typescript', async () => {
    const shown = await ghostTextAfterTyping(page, 'src/shapes.ts', '\nexport function area(width: number, height: number): number {\n');
    await screenshot(page, '05-ghost-text-typescript');
    const firstLine = shown.split('\n').find((line) => line.trim())?.trim() ?? '';
    await page.keyboard.press('Tab');
    await eventually('the accepted text in the editor', async () => (await editorText(page)).includes(firstLine), 10_000);
    await screenshot(page, '06-ghost-text-accepted');
    await runCommand(page, 'File: Revert File');
  });

  step('accepts a suggestion word by word with Ctrl+Right', 'ghost-next-word', async () => {
    const shown = await ghostTextAfterTyping(page, 'src/shapes.ts', '\nexport function half(value: number): number {\n  return ');
    const firstLine = shown.split('\n')[0];
    await page.keyboard.press('Control+ArrowRight');
    await page.keyboard.press('Escape');
    // The line typed after the new function's signature.
    const line = await eventually('the accepted word in the editor', async () => {
      const lines = (await editorText(page)).split('\n');
      const next = lines[lines.findIndex((text) => text.includes('export function half(')) + 1];
      return next !== undefined && /^\s*return \S/.test(next) ? next : undefined;
    }, 10_000);
    const accepted = line.replace(/^\s*return /, '');
    await screenshot(page, '07-ghost-text-next-word');
    assert.ok(accepted.length > 0 && firstLine.startsWith(accepted), `${JSON.stringify(accepted)} starts the suggestion ${JSON.stringify(firstLine)}`);
    if (/\w\W+\w/.test(firstLine.trim())) assert.ok(accepted.length < firstLine.length, 'only part of a suggestion of several words was taken');
    await runCommand(page, 'File: Revert File');
  });

  step('shows ghost text in a Python file', 'ghost-python', async () => {
    await ghostTextAfterTyping(page, 'src/stats.py', '\n\ndef standard_deviation(values):\n');
    await screenshot(page, '08-ghost-text-python');
    await page.keyboard.press('Escape');
    await runCommand(page, 'File: Revert File');
  });

  step('shows the cache readout in the status bar', 'status-bar', async () => {
    const item = page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first();
    await item.waitFor();
    const text = ((await item.textContent()) ?? '').trim();
    assert.match(text, /^Endless\b.*\d/, `the readout shows numbers: ${JSON.stringify(text)}`);
    await item.hover();
    await page.locator('.monaco-hover, .workbench-hover').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await screenshot(page, '09-status-bar');
  });

  step('restores the transcript after a reload', 'reload', async () => {
    await page.reload({ timeout: 180_000 });
    await waitForWorkbench(page);
    // The extension's commands exist once it has activated again (its status bar item shows).
    await page.locator('.statusbar-item', { hasText: /^\s*Endless/ }).first().waitFor({ timeout: 180_000 });
    // The panel may come back open after a reload; the command shows it either way.
    await runCommand(page, 'Endless: Open Chat');
    const chat = chatFrame(page);
    await chat.locator('[data-role="user"]', { hasText: FIRST_MESSAGE }).waitFor({ timeout: 60_000 });
    assert.ok((await chat.locator('[data-role="assistant"]').count()) >= 1, 'the replies are restored too');
    // The cache bars show the engine's state at once, without a new message: the same numbers
    // as the status bar's readout ("Endless used/capacity"), as soon as the engine is ready.
    await chat.locator('.engine-status', { hasText: /ready/i }).waitFor({ timeout: 120_000 });
    const bar = chat.locator('[data-stream="chat"]');
    const item = page.locator('.statusbar-item', { hasText: /^\s*Endless\s+\d/ }).first();
    const shown = await eventually('the chat cache bar and the status bar to agree', async () => {
      const capacity = Number(await bar.getAttribute('data-capacity'));
      const used = Number(await bar.getAttribute('data-used'));
      const readout = ((await item.textContent().catch(() => '')) ?? '').match(/Endless\s+(\d+)\/(\d+)/);
      return capacity > 0 && readout && Number(readout[1]) === used && Number(readout[2]) === capacity ? { used, capacity } : undefined;
    }, 5_000);
    assert.ok(shown.used <= shown.capacity, `used ${shown.used} of ${shown.capacity}`);
    await screenshot(page, '10-transcript-restored');
  });
});
