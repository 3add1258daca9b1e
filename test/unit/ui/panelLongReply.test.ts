// Long replies in the chat panel's page (jsdom), timed. Rendering must cost time linear in the
// reply and bounded per frame: a renderer that redraws the whole reply on each frame (or
// auto-detects the language of a 20 KB line, 21 s on its own) misses these budgets by minutes.
// The budgets are generous for a loaded 2-core machine (jsdom is many times slower than a
// browser); the times are printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPanel, type Panel } from './panelPage';

const LONG_LINE = 'const table = [' + Array.from({ length: 4000 }, (_, i) => `${i}`).join(', ') + '];';
/** One unit of a long reply: prose, a list, a short Python fence, a fence with a long line. */
const UNIT = [
  'The parser reads each **row**, checks it against the schema and keeps a running `summary`.',
  '',
  '- validate the header',
  '- count empty cells',
  '',
  '```python',
  'def summarise(rows):',
  '    total = 0',
  '    for row in rows:',
  '        total += len(row)',
  '    return total',
  '```',
  '',
  '```',
  'x'.repeat(600),
  '```',
  '',
].join('\n');

/**
 * Streams `text` into a fresh reply as a host does: token messages of `piece` characters,
 * `perFrame` of them between animation frames; then the finished reply. Returns the ms taken.
 */
async function streamReply(panel: Panel, id: string, text: string, piece: number, perFrame: number): Promise<number> {
  await panel.receive({ type: 'append', streaming: true, messages: [{ id: `${id}-q`, role: 'user', text: 'go', attachments: [] }, { id, role: 'assistant', text: '', attachments: [] }] });
  const started = performance.now();
  let inFrame = 0;
  for (let at = 0; at < text.length; at += piece) {
    panel.window.dispatchEvent(new panel.window.MessageEvent('message', { data: { type: 'token', id, text: text.slice(at, at + piece) } }));
    if (++inFrame === perFrame) {
      inFrame = 0;
      await new Promise((resolve) => panel.window.requestAnimationFrame(resolve));
    }
  }
  await panel.receive({ type: 'append', streaming: false, messages: [{ id, role: 'assistant', text, attachments: [], finish: 'length' }] });
  return performance.now() - started;
}

const reply = (panel: Panel, id: string) => panel.window.document.querySelector(`[data-id="${id}"] .message-body`)!;

describe('long replies in the chat panel', () => {
  let panel: Panel;
  before(async () => {
    panel = await openPanel();
    await panel.receive({ type: 'transcript', streaming: false, hasOlder: false, messages: [] });
  });
  after(() => panel.window.close());

  it('streams a code fence with one 20 KB line without freezing', async () => {
    assert.ok(LONG_LINE.length > 20_000);
    const text = `Here is the table:\n\n\`\`\`\n${LONG_LINE}\n\`\`\`\nThat is all.`;
    const ms = await streamReply(panel, 'line', text, 16, 32);
    console.log(`20 KB line: ${text.length} chars streamed and rendered in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 60_000, `took ${ms.toFixed(0)} ms`);
    const body = reply(panel, 'line');
    assert.equal(body.querySelector('.code-block code')?.textContent, `${LONG_LINE}\n`, 'the whole line is shown as code');
    assert.match(body.textContent!, /That is all\./);
  });

  it('streams a 1 MB reply in chunks at a cost linear in its length', async () => {
    const text = UNIT.repeat(Math.ceil(1_000_000 / UNIT.length));
    const ms = await streamReply(panel, 'mb', text, 256, 16);
    console.log(`1 MB reply: ${text.length} chars streamed and rendered in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 600_000, `took ${ms.toFixed(0)} ms`);
    const body = reply(panel, 'mb');
    const units = Math.ceil(1_000_000 / UNIT.length);
    assert.equal(body.querySelectorAll('.code-block').length, 2 * units, 'every fence became a code block');
    assert.equal(body.querySelectorAll('.code-block .hljs-keyword').length >= units, true, 'closed Python fences are highlighted');
    assert.equal(body.querySelectorAll('li').length, 2 * units);
    assert.equal(body.querySelectorAll('.live-markdown, .live-text, .code-block.live').length, 0, 'nothing is left drawn as live');
  });
});
