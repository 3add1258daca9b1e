import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipAround, composeUserContent } from '../../../src/chat/attachments';
import { CompletionCache } from '../../../src/completion/completionCache';
import { buildEditorContext, contextLimits, prefixStart, RecentChunks } from '../../../src/completion/contextBuilder';

describe('completion cache', () => {
  it('answers the same position again', () => {
    const cache = new CompletionCache();
    cache.remember('a.ts', 'function f() {\n  ', '\n}', 'return 1;');
    assert.equal(cache.lookup('a.ts', 'function f() {\n  ', '\n}'), 'return 1;');
  });

  it('answers a typed-through prefix with the rest of the completion', () => {
    const cache = new CompletionCache();
    cache.remember('a.ts', 'const x = ', ';', 'compute(1, 2)');
    assert.equal(cache.lookup('a.ts', 'const x = comp', ';'), 'ute(1, 2)');
    assert.equal(cache.lookup('a.ts', 'const x = compute(1, 2', ';'), ')');
  });

  it('misses when the user typed something else, the suffix changed, or the document differs', () => {
    const cache = new CompletionCache();
    cache.remember('a.ts', 'const x = ', ';', 'compute(1, 2)');
    assert.equal(cache.lookup('a.ts', 'const x = cx', ';'), undefined);
    assert.equal(cache.lookup('a.ts', 'const x = comp', '; y'), undefined);
    assert.equal(cache.lookup('b.ts', 'const x = ', ';'), undefined);
    assert.equal(cache.lookup('a.ts', 'const x = compute(1, 2)', ';'), undefined, 'fully typed: nothing left');
  });

  it('keeps only the most recent entries', () => {
    const cache = new CompletionCache(2);
    cache.remember('a', '1', '', 'one');
    cache.remember('a', '2', '', 'two');
    cache.remember('a', '3', '', 'three');
    assert.equal(cache.lookup('a', '1', ''), undefined);
    assert.equal(cache.lookup('a', '3', ''), 'three');
  });
});

describe('editor context', () => {
  const lines = Array.from({ length: 400 }, (_, index) => `line ${index} of the file`).join('\n');

  it('keeps the whole prefix and suffix of a small file', () => {
    const context = buildEditorContext('abc\ndef', 5, 'x.ts', 'typescript', [], contextLimits(1020));
    assert.deepEqual([context.prefix, context.suffix], ['abc\nd', 'ef']);
  });

  it('starts a clipped prefix at a line start and within budget', () => {
    const limits = contextLimits(256);
    const offset = lines.length - 100;
    const start = prefixStart(lines, offset, limits.prefixChars);
    assert.ok(start === 0 || lines[start - 1] === '\n');
    assert.ok(offset - start <= limits.prefixChars);
  });

  it('keeps the prefix start put while the user types, so the stream only grows', () => {
    const limits = contextLimits(256);
    const base = lines.length - 2000;
    const starts = new Set<number>();
    for (let typed = 0; typed < 20; typed++) starts.add(prefixStart(lines, base + typed, limits.prefixChars));
    assert.ok(starts.size <= 2, `prefix start moved ${starts.size - 1} times in 20 keystrokes`);
  });

  it('remembers one chunk per file, newest last, and leaves out the current file', () => {
    const recent = new RecentChunks(() => ({ ...contextLimits(1020), maxChunks: 2 }));
    recent.remember('a.ts', 'const a = 1;\n', 0);
    recent.remember('b.ts', 'const b = 2;\n', 0);
    recent.remember('a.ts', 'const a = 3;\n', 0);
    assert.deepEqual(recent.for('c.ts').map((chunk) => chunk.path), ['b.ts', 'a.ts']);
    assert.deepEqual(recent.for('a.ts').map((chunk) => chunk.path), ['b.ts']);
  });
});

describe('attachments', () => {
  it('keeps short text whole', () => {
    const clip = clipAround('a\nb', 0, 100);
    assert.equal(clip.clipped, false);
    assert.equal(clip.text, 'a\nb');
  });

  it('clips long text to whole lines around the cursor and says which', () => {
    const text = Array.from({ length: 100 }, (_, index) => `row ${String(index).padStart(2, '0')}`).join('\n');
    const focus = text.indexOf('row 50');
    const clip = clipAround(text, focus, 70);
    assert.equal(clip.clipped, true);
    assert.ok(clip.text.length <= 70);
    assert.ok(clip.text.includes('row 50'));
    assert.ok(clip.firstLine <= 51 && clip.lastLine >= 51);
    assert.equal(clip.text.split('\n')[0], `row ${String(clip.firstLine - 1).padStart(2, '0')}`);
  });

  it('puts attached context before the question, fenced', () => {
    const content = composeUserContent('What does it do?', [{ id: '1', label: 'a.py', languageId: 'python', text: 'print(1)' }]);
    assert.equal(content, 'a.py:\n```python\nprint(1)\n```\n\nWhat does it do?');
  });
});
