// The transcript in the panel. User messages are plain text; replies are sanitised markdown
// with Copy / Insert / New file buttons on each code block. While a reply streams, only the
// last message is re-rendered, at most once per animation frame.
import type { FinishReason } from '../engine/protocol';
import { h } from './dom';
import type { MarkdownRenderer } from './markdown';
import type { CodeAction, ViewMessage } from './protocol';

const FINISH_NOTES: Partial<Record<FinishReason, string>> = {
  cancelled: 'Stopped.',
  length: 'Reached the reply length limit (endless.chat.maxTokens).',
  time: 'Reached the time limit.',
};

export class MessageList {
  readonly element: HTMLElement;
  private messages: ViewMessage[] = [];
  private streaming = false;
  private lastElement: HTMLElement | undefined;
  private frame = 0;

  constructor(
    private readonly render: MarkdownRenderer,
    private readonly onCodeAction: (action: CodeAction, code: string, language: string) => void,
  ) {
    this.element = h('div', { className: 'messages', role: 'log', 'aria-label': 'Conversation', 'aria-live': 'polite', tabindex: 0 });
  }

  setTranscript(messages: ViewMessage[], streaming: boolean): void {
    // A frame still pending from the last token would redraw the reply as being written.
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const follow = this.atBottom();
    this.messages = messages;
    this.streaming = streaming;
    this.element.replaceChildren(
      ...(messages.length === 0 ? [h('p', { className: 'empty' }, 'Ask about your code. The session never needs a reset: old turns slide out of the model’s window, the conversation goes on.')] : []),
      ...messages.map((message, index) => this.messageElement(message, streaming && index === messages.length - 1)),
    );
    this.lastElement = this.element.lastElementChild as HTMLElement | undefined;
    if (follow) this.scrollToBottom();
  }

  /**
   * Stops showing the reply being written (Stop was clicked): it is drawn as it is now and
   * later tokens are ignored. Returns how many characters of it were shown.
   */
  freeze(): number | undefined {
    const last = this.messages[this.messages.length - 1];
    if (!this.streaming || !last || last.role !== 'assistant') return undefined;
    this.streaming = false;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const fresh = this.messageElement(last, false);
    this.lastElement?.replaceWith(fresh);
    this.lastElement = fresh;
    return last.text.length;
  }

  appendToken(text: string): void {
    const last = this.messages[this.messages.length - 1];
    if (!this.streaming || !last || last.role !== 'assistant') return;
    last.text += text;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (!this.streaming || this.messages[this.messages.length - 1] !== last) return;
      const follow = this.atBottom();
      const fresh = this.messageElement(last, true);
      this.lastElement?.replaceWith(fresh);
      this.lastElement = fresh;
      if (follow) this.scrollToBottom();
    });
  }

  private messageElement(message: ViewMessage, live: boolean): HTMLElement {
    const article = h('article', {
      className: `message message-${message.role}${live ? ' streaming' : ''}`,
      'data-role': message.role,
      'aria-busy': live ? 'true' : undefined,
    });
    article.append(h('div', { className: 'message-author' }, message.role === 'user' ? 'You' : 'Endless'));
    if (message.attachments.length > 0) {
      article.append(h('div', { className: 'message-attachments' }, ...message.attachments.map((label) => h('span', { className: 'chip' }, label))));
    }
    const body = h('div', { className: 'message-body' });
    if (message.role === 'user') {
      body.classList.add('plain');
      body.textContent = message.text;
    } else {
      // The only HTML the panel inserts: markdown rendered and sanitised by markdown.ts.
      body.innerHTML = this.render(message.text);
      this.decorateCodeBlocks(body);
      if (live && message.text.length === 0) body.append(h('span', { className: 'thinking' }, 'Thinking…'));
    }
    article.append(body);
    const note = message.error ? `Error: ${message.error}` : message.finish ? FINISH_NOTES[message.finish] : undefined;
    if (note) article.append(h('div', { className: message.error ? 'message-note error' : 'message-note' }, note));
    return article;
  }

  private decorateCodeBlocks(body: HTMLElement): void {
    for (const block of body.querySelectorAll<HTMLElement>('.code-block')) {
      const code = block.querySelector('code')?.textContent ?? '';
      // A fence just opened (or cut by Stop) has nothing to act on yet.
      if (code.trim().length === 0) continue;
      const language = block.dataset.lang ?? '';
      const button = (label: string, action: CodeAction, title: string) => {
        const element = h('button', { type: 'button', className: 'code-action', title, 'aria-label': `${title}` }, label);
        element.addEventListener('click', () => this.onCodeAction(action, code, language));
        return element;
      };
      block.prepend(
        h(
          'div',
          { className: 'code-toolbar' },
          h('span', { className: 'code-lang' }, language),
          button('Copy', 'copy', 'Copy code'),
          button('Insert', 'insert', 'Insert code at cursor'),
          button('New file', 'newFile', 'Open code as new file'),
        ),
      );
    }
  }

  /** Follow the stream only if the reader has not scrolled up to read something older. */
  private atBottom(): boolean {
    const list = this.element;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  private scrollToBottom(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }
}
