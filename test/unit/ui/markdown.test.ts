import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { AUTO_DETECT_MAX_CHARS, createMarkdownRenderer, HIGHLIGHT_MAX_CHARS } from '../../../src/webview/markdown';

const window = new JSDOM('').window;
const render = createMarkdownRenderer(createDOMPurify(window));
/** The rendered nodes in a container, as the panel puts them in a message. */
const parse = (nodes: DocumentFragment) => {
  const container = window.document.createElement('div');
  container.append(nodes);
  return container;
};

describe('markdown rendering of model output', () => {
  it('shows raw HTML from the model as text, never as elements', () => {
    const html = render('Hello <script>alert(1)</script> <img src=x onerror="alert(2)"> <b>bold</b>');
    const dom = parse(html);
    assert.equal(dom.querySelector('script, img, b'), null);
    assert.match(dom.textContent ?? '', /<script>alert\(1\)<\/script>/);
  });

  it('drops javascript: and data: links but keeps https links', () => {
    const dom = parse(render('[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com/x)'));
    const hrefs = [...dom.querySelectorAll('a')].map((link) => link.getAttribute('href'));
    assert.deepEqual(hrefs, ['https://example.com/x']);
  });

  it('does not load images (nothing remote in the panel)', () => {
    const dom = parse(render('![pixel](https://example.com/p.png)'));
    assert.equal(dom.querySelector('img'), null);
  });

  it('wraps fenced code in a highlighted block that names its language', () => {
    const dom = parse(render('```ts\nconst x: number = 1; // one\n```'));
    const block = dom.querySelector('.code-block');
    assert.ok(block);
    assert.equal(block.getAttribute('data-lang'), 'ts');
    assert.equal(block.querySelector('code')?.textContent, 'const x: number = 1; // one\n');
    assert.ok(block.querySelector('.hljs-keyword'), 'keywords are highlighted');
    assert.ok(block.querySelector('.hljs-comment'), 'comments are highlighted');
  });

  it('escapes HTML inside code blocks and keeps it as code text', () => {
    const dom = parse(render('```html\n<div onclick="x()">hi</div>\n```'));
    assert.equal(dom.querySelector('[onclick]'), null);
    assert.equal(dom.querySelector('code')?.textContent, '<div onclick="x()">hi</div>\n');
  });

  it('keeps an unclosed fence (a reply still streaming) as code', () => {
    const dom = parse(render('Here:\n```python\ndef f():\n    return 1'));
    assert.equal(dom.querySelector('.code-block code')?.textContent, 'def f():\n    return 1');
  });

  it('renders ordinary markdown structure', () => {
    const dom = parse(render('# Title\n\n- one\n- **two**\n\n`inline`'));
    assert.equal(dom.querySelector('h1')?.textContent, 'Title');
    assert.equal(dom.querySelectorAll('li').length, 2);
    assert.equal(dom.querySelector('strong')?.textContent, 'two');
    assert.equal(dom.querySelector('p > code')?.textContent, 'inline');
  });

  it('highlights within its caps only: no auto-detection on large blocks, no highlighting past the size cap', () => {
    const small = parse(render('```\nconst answer = 42; // why\n```'));
    assert.ok(small.querySelector('[class^="hljs-"]'), 'a small block without a language is auto-detected');
    const unlabelled = 'const answer = 42; // why\n'.repeat(Math.ceil(AUTO_DETECT_MAX_CHARS / 20));
    assert.equal(parse(render(`\`\`\`\n${unlabelled}\`\`\``)).querySelector('[class^="hljs-"]'), null, 'a larger one is not');
    const huge = 'let x = 1;\n'.repeat(Math.ceil(HIGHLIGHT_MAX_CHARS / 11) + 1);
    const dom = parse(render(`\`\`\`ts\n${huge}\`\`\``));
    assert.equal(dom.querySelector('[class^="hljs-"]'), null, 'past the size cap a known language is not highlighted either');
    assert.equal(dom.querySelector('code')?.textContent, huge, 'but the code is all there');
    const line = `const t = [${'1, '.repeat(3000)}];\n`;
    const started = performance.now();
    const long = parse(render(`\`\`\`\n${line}\`\`\``));
    assert.equal(long.querySelector('code')?.textContent, line);
    assert.ok(performance.now() - started < 5_000, 'a 9 KB line renders at once (auto-detection took seconds)');
  });
});
