// The chat panel's DOM stays bounded however long the session: at most PANEL_MESSAGE_CAP
// messages, the oldest dropped and asked for again, a page at a time, on scroll-up.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PANEL_MESSAGE_CAP, PANEL_PAGE_SIZE, type PanelMessage } from '../../../src/webview/protocol';
import { openPanel, type Panel } from './panelPage';

const message = (index: number): PanelMessage =>
  index % 2 === 0
    ? { id: `m${index}`, role: 'user', text: `question ${index}`, attachments: [] }
    : { id: `m${index}`, role: 'assistant', text: `answer **${index}**`, attachments: [], finish: 'eos' };
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => message(from + i));

const shownIds = (panel: Panel) => [...panel.window.document.querySelectorAll<HTMLElement>('article[data-id]')].map((a) => a.dataset.id);

describe('bounded chat panel', () => {
  let panel: Panel;
  beforeEach(async () => {
    panel = await openPanel();
  });
  afterEach(() => panel.window.close());

  it('keeps at most the cap of messages as turns are appended, and offers the older ones', async () => {
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [] });
    const turns = PANEL_MESSAGE_CAP; // twice the cap in messages
    for (let turn = 0; turn < turns; turn++) {
      await panel.receive({ type: 'append', streaming: false, messages: range(2 * turn, 2 * turn + 2) });
    }
    const ids = shownIds(panel);
    assert.equal(ids.length, PANEL_MESSAGE_CAP);
    assert.equal(ids[0], `m${2 * turns - PANEL_MESSAGE_CAP}`, 'the oldest were dropped');
    assert.equal(ids.at(-1), `m${2 * turns - 1}`);
    const older = panel.button('Load older messages');
    assert.equal(older.hidden, false);
    // Scrolling to the top asks for the page before the oldest message shown, once.
    const list = panel.window.document.querySelector<HTMLElement>('[role="log"]')!;
    list.scrollTop = 0;
    list.dispatchEvent(new panel.window.Event('scroll'));
    list.dispatchEvent(new panel.window.Event('scroll'));
    const asked = panel.sent.filter((m) => m.type === 'loadOlder');
    assert.deepEqual(asked, [{ type: 'loadOlder', before: ids[0] }]);
  });

  it('puts an older page above, drops the newest past the cap, and comes back to them', async () => {
    const newest = range(1000 - PANEL_PAGE_SIZE, 1000);
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: true, messages: newest });
    assert.equal(shownIds(panel).length, PANEL_PAGE_SIZE);
    // Page after page, as the reader keeps scrolling up.
    let first = 1000 - PANEL_PAGE_SIZE;
    for (let page = 0; page < 6; page++) {
      panel.button('Load older messages').click();
      assert.deepEqual(panel.sent.at(-1), { type: 'loadOlder', before: `m${first}` });
      await panel.receive({ type: 'older', before: `m${first}`, hasOlder: true, messages: range(first - PANEL_PAGE_SIZE, first) });
      first -= PANEL_PAGE_SIZE;
      const ids = shownIds(panel);
      assert.ok(ids.length <= PANEL_MESSAGE_CAP, `${ids.length} messages in the DOM`);
      assert.equal(ids[0], `m${first}`);
    }
    const back = panel.button('Back to the newest messages');
    assert.equal(back.hidden, false, 'the newest were dropped; the way back is offered');
    // A stale page (asked for before something else) is ignored.
    await panel.receive({ type: 'older', before: 'm999', hasOlder: true, messages: range(0, 3) });
    assert.equal(shownIds(panel)[0], `m${first}`);
    // New activity while reading far back brings the newest messages back.
    await panel.receive({ type: 'append', streaming: true, messages: range(1000, 1002) });
    assert.deepEqual(panel.sent.at(-1), { type: 'loadLatest' });
    await panel.receive({ type: 'transcript', streaming: true, hasOlder: true, messages: range(1002 - PANEL_PAGE_SIZE, 1002) });
    assert.equal(shownIds(panel).at(-1), 'm1001');
    assert.equal(back.hidden, true);
  });

  it('shows a message notice, e.g. that only the end of a long message fitted the window', async () => {
    const notice = 'Only the last 900 tokens of this message fitted the model’s window; the start was left out.';
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [{ ...message(0), notice }] });
    assert.equal(panel.window.document.querySelector('[data-id="m0"] .message-note.notice')?.textContent, notice);
    await panel.receive({ type: 'notice', text: 'The chat was clipped to fit.' });
    const alert = panel.window.document.querySelector<HTMLElement>('[role="alert"]')!;
    assert.equal(alert.textContent, 'The chat was clipped to fit.');
    assert.equal(alert.hidden, false);
  });
});
