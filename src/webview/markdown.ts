// Turns a model's markdown into safe HTML. Three layers, because model output is untrusted:
// markdown-it runs with raw HTML off (so `<script>` in a reply is shown as text), its link
// check drops `javascript:`-style URLs, and DOMPurify then keeps only an allow-list of tags
// and attributes. Code fences are highlighted with highlight.js and wrapped so the panel can
// add Copy / Insert / New file buttons.
import type { DOMPurify } from 'dompurify';
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'em', 'strong', 's', 'del', 'code', 'pre', 'span', 'div', 'blockquote',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'data-lang', 'start', 'align'];

export type MarkdownRenderer = (markdown: string) => string;

/** `purify` is DOMPurify bound to a window: the page's own in the panel, jsdom's in tests. */
export function createMarkdownRenderer(purify: DOMPurify): MarkdownRenderer {
  const md = new MarkdownIt({ html: false, linkify: false, breaks: false, typographer: false });
  md.renderer.rules.fence = (tokens, index) => {
    const token = tokens[index];
    const language = token.info.trim().split(/\s+/)[0] ?? '';
    return `<div class="code-block" data-lang="${md.utils.escapeHtml(language)}"><pre><code class="hljs">${highlight(token.content, language)}</code></pre></div>\n`;
  };
  return (markdown) =>
    purify.sanitize(md.render(markdown), {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      // Only this renderer writes data- attributes: markdown-it runs with raw HTML off.
      ALLOW_DATA_ATTR: true,
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    });
}

/** Highlighted HTML of `code` (already escaped by highlight.js); plain escaped text for unknown languages. */
function highlight(code: string, language: string): string {
  const known = language && hljs.getLanguage(language) ? language : undefined;
  if (known) return hljs.highlight(code, { language: known, ignoreIllegals: true }).value;
  return hljs.highlightAuto(code).value;
}
