// Opening a workspace file the way a user does (Quick Open). Needs no running harness, so the
// measurement scripts beside the browser tests use it too.
import path from 'node:path';

/** Opens a workspace file through Quick Open and waits for its editor. */
export async function openFile(page, relative) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill(relative);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) }).first().waitFor();
  await input.press('Enter');
  const tab = page.locator('.tabs-container .tab.active', { hasText: path.basename(relative) });
  await tab.waitFor();
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor();
  return editor;
}
