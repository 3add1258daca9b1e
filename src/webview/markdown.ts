// Turns a model's markdown into safe DOM nodes. Three layers, because model output is untrusted:
// markdown-it runs with raw HTML off (so `<script>` in a reply is shown as text), its link
// check drops `javascript:`-style URLs, and DOMPurify then keeps only an allow-list of tags
// and attributes and hands back nodes, not a string, so the panel never assigns HTML itself. Code fences are highlighted with highlight.js and wrapped so the panel can
// add Copy / Insert / New file buttons. Highlighting is capped: highlight.js's cost grows faster
// than the code (language auto-detection tries every grammar, and took 21 s on one 20 KB
// line), so large blocks are shown as plain code and only small ones are auto-detected.
import type { DOMPurify } from 'dompurify';
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'em', 'strong', 's', 'del', 'code', 'pre', 'span', 'div', 'blockquote',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'data-lang', 'start', 'align'];

/** Code blocks longer than this are not highlighted at all. */
export const HIGHLIGHT_MAX_CHARS = 16_000;
/** Code blocks without a known language are auto-detected only up to this length. */
export const AUTO_DETECT_MAX_CHARS = 500;
/** A line this long (minified code, data) is not highlighted either: grammars backtrack on it. */
const HIGHLIGHT_MAX_LINE_CHARS = 2_000;

export type MarkdownRenderer = (markdown: string) => DocumentFragment;

/** `purify` is DOMPurify bound to a window: the page's own in the panel, jsdom's in tests. */
export function createMarkdownRenderer(purify: DOMPurify): MarkdownRenderer {
  const md = new MarkdownIt({ html: false, linkify: false, breaks: false, typographer: false });
  md.renderer.rules.fence = (tokens, index) => {
    const token = tokens[index];
    const language = token.info.trim().split(/\s+/)[0] ?? '';
    return `<div class="code-block" data-lang="${md.utils.escapeHtml(language)}"><pre><code class="hljs">${highlight(token.content, language, md.utils.escapeHtml)}</code></pre></div>\n`;
  };
  return (markdown) =>
    purify.sanitize(md.render(markdown), {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      // Only this renderer writes data- attributes: markdown-it runs with raw HTML off.
      ALLOW_DATA_ATTR: true,
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
      RETURN_DOM_FRAGMENT: true,
    });
}

/**
 * Highlighted HTML of `code` (escaped by highlight.js), or the code escaped as plain text when
 * it is past the caps above.
 */
function highlight(code: string, language: string, escape: (text: string) => string): string {
  if (code.length > HIGHLIGHT_MAX_CHARS || hasLongLine(code)) return escape(code);
  const known = language && hljs.getLanguage(language) ? language : undefined;
  if (known) return hljs.highlight(code, { language: known, ignoreIllegals: true }).value;
  if (code.length > AUTO_DETECT_MAX_CHARS) return escape(code);
  return hljs.highlightAuto(code).value;
}

function hasLongLine(code: string): boolean {
  let start = 0;
  while (start < code.length) {
    const end = code.indexOf('\n', start);
    if ((end < 0 ? code.length : end) - start > HIGHLIGHT_MAX_LINE_CHARS) return true;
    if (end < 0) return false;
    start = end + 1;
  }
  return false;
}
