// The transcript in the panel. User messages are plain text; replies are sanitised markdown
// with Copy / Insert / New file buttons on each code block, drawn block by block (replyView.ts).
// The host only ever sends what is new, and the DOM holds at most PANEL_MESSAGE_CAP messages:
// older ones are dropped from the top and asked for again, a page at a time, when the reader
// scrolls up to them. Reading far back drops the newest ones instead, until the reader returns.
import type { FinishReason } from '../engine/protocol';
import { h } from './dom';
import type { MarkdownRenderer } from './markdown';
import { type CodeAction, PANEL_MESSAGE_CAP, type PanelMessage } from './protocol';
import { ReplyView } from './replyView';

const FINISH_NOTES: Partial<Record<FinishReason, string>> = {
  cancelled: 'Stopped.',
  length: 'Reached the reply length limit (endless.chat.maxTokens).',
  time: 'Reached the time limit.',
};

/** Scrolled this close to the top, the page of older messages is asked for. */
const LOAD_OLDER_PX = 120;

export interface MessageListEvents {
  codeAction(action: CodeAction, code: string, language: string): void;
  /** The page before message `before` is wanted. */
  loadOlder(before: string): void;
  /** The newest messages are wanted again (they were dropped while reading far back). */
  loadLatest(): void;
}

interface Entry {
  message: PanelMessage;
  element: HTMLElement;
  /** Set while the message is the reply being written. */
  reply?: ReplyView;
}

export class MessageList {
  readonly element: HTMLElement;
  private readonly entries = new Map<string, Entry>();
  private readonly empty: HTMLElement;
  private readonly olderButton: HTMLButtonElement;
  private readonly latestButton: HTMLButtonElement;
  private hasOlder = false;
  /** The id a page of older messages was asked for before, until it arrives. */
  private olderAsked: string | undefined;
  /** The newest messages were dropped (the reader went far back); new ones are not shown. */
  private detached = false;
  private live: Entry | undefined;
  /** The placeholder shown in a reply until its first words arrive. */
  private thinking: HTMLElement | undefined;
  private frame = 0;

  constructor(
    private readonly render: MarkdownRenderer,
    private readonly events: MessageListEvents,
    private readonly cap = PANEL_MESSAGE_CAP,
  ) {
    this.empty = h('p', { className: 'empty' }, 'Ask about your code. The session never needs a reset: old turns slide out of the model’s window, the conversation goes on.');
    this.olderButton = h('button', { type: 'button', className: 'secondary load-older' }, 'Load older messages');
    this.latestButton = h('button', { type: 'button', className: 'secondary load-latest' }, 'Back to the newest messages');
    this.olderButton.addEventListener('click', () => this.askOlder());
    this.latestButton.addEventListener('click', () => this.events.loadLatest());
    this.element = h(
      'div',
      { className: 'messages', role: 'log', 'aria-label': 'Conversation', 'aria-live': 'polite', tabindex: 0, 'data-cap': String(cap) },
      this.empty,
      this.olderButton,
      this.latestButton,
    );
    this.element.addEventListener('scroll', () => {
      if (this.element.scrollTop < LOAD_OLDER_PX) this.askOlder();
    });
    this.updateChrome();
  }

  /** Messages in the DOM now. */
  get size(): number {
    return this.entries.size;
  }

  /** Shows the newest page, replacing everything. */
  replace(messages: PanelMessage[], hasOlder: boolean, streaming: boolean): void {
    this.stopLive();
    for (const entry of this.entries.values()) entry.element.remove();
    this.entries.clear();
    this.hasOlder = hasOlder;
    this.olderAsked = undefined;
    this.detached = false;
    this.latestButton.before(this.fragmentOf(messages));
    this.trimTop();
    this.startLive(messages, streaming);
    this.updateChrome();
    this.scrollToBottom();
  }

  /** New messages at the end, or new states of messages shown (a reply that finished). */
  append(messages: PanelMessage[], streaming: boolean): void {
    const fresh = messages.filter((message) => !this.entries.has(message.id));
    if (this.detached) {
      // The reader is far back; new activity brings the newest messages back instead.
      if (fresh.length > 0) this.events.loadLatest();
      return;
    }
    const follow = this.atBottom();
    for (const message of messages) {
      const entry = this.entries.get(message.id);
      if (entry) this.update(entry, message);
    }
    this.latestButton.before(this.fragmentOf(fresh));
    this.trimTop();
    if (streaming) this.startLive(messages, true);
    this.updateChrome();
    if (follow) this.scrollToBottom();
  }

  /** A page of older messages, put above the oldest shown without moving what the reader sees. */
  prependOlder(before: string, messages: PanelMessage[], hasOlder: boolean): void {
    if (this.olderAsked !== before) return;
    this.olderAsked = undefined;
    if (this.firstId() !== before) return;
    this.hasOlder = hasOlder;
    const height = this.element.scrollHeight;
    this.olderButton.after(this.fragmentOf(messages.filter((message) => !this.entries.has(message.id))));
    this.element.scrollTop += this.element.scrollHeight - height;
    this.trimBottom();
    this.updateChrome();
  }

  /** Text for the reply `id` being written; drawn on the next animation frame. */
  appendToken(id: string, text: string): void {
    const live = this.live;
    if (!live?.reply || live.message.id !== id) return;
    live.reply.push(text);
    this.scheduleFrame();
  }

  /**
   * Stops showing the reply being written (Stop was clicked): it stays as drawn now and later
   * tokens are ignored. Returns how many characters of it were shown.
   */
  freeze(): number | undefined {
    const live = this.live;
    if (!live?.reply) return undefined;
    const shown = live.reply.shownChars;
    this.stopLive();
    return shown;
  }

  private startLive(messages: PanelMessage[], streaming: boolean): void {
    const last = messages[messages.length - 1];
    const entry = last && this.entries.get(last.id);
    if (!streaming || !entry || last.role !== 'assistant' || entry === this.live) return;
    this.stopLive();
    // Redrawn from its text so far; the tokens that follow are drawn as they come.
    const body = h('div', { className: 'message-body' });
    const reply = this.replyView(body);
    reply.push(last.text);
    const fresh = this.messageElement(last, body, true);
    entry.element.replaceWith(fresh);
    Object.assign(entry, { element: fresh, reply });
    this.live = entry;
    this.scheduleFrame();
  }

  private stopLive(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    live.reply = undefined;
    live.element.classList.remove('streaming');
    live.element.removeAttribute('aria-busy');
    this.thinking?.remove();
    this.thinking = undefined;
  }

  private scheduleFrame(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const reply = this.live?.reply;
      if (!reply) return;
      const follow = this.atBottom();
      const more = reply.draw();
      if (reply.shownChars > 0) this.thinking?.remove();
      if (follow) this.scrollToBottom();
      if (more) this.scheduleFrame();
    });
  }

  /** A message shown already gets its new state; a finished reply keeps what was drawn of it. */
  private update(entry: Entry, message: PanelMessage): void {
    const old = entry.message;
    if (entry === this.live && entry.reply) {
      const reply = entry.reply;
      this.stopLive();
      // The final text is what streamed (the session keeps the streamed pieces): draw what
      // is left and complete it. A reply cut by Stop or replaced is drawn again from its text.
      const streamed = reply.shownChars + reply.pendingChars === message.text.length;
      if (streamed) reply.finish();
      entry.message = message;
      const fresh = this.messageElement(message, streamed ? reply.body : this.bodyOf(message), false);
      entry.element.replaceWith(fresh);
      entry.element = fresh;
      return;
    }
    if (old.text === message.text && old.finish === message.finish && old.error === message.error && old.notice === message.notice) return;
    entry.message = message;
    const fresh = this.messageElement(message, this.bodyOf(message), false);
    entry.element.replaceWith(fresh);
    entry.element = fresh;
  }

  private fragmentOf(messages: PanelMessage[]): DocumentFragment {
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      const element = this.messageElement(message, this.bodyOf(message), false);
      this.entries.set(message.id, { message, element });
      fragment.append(element);
    }
    return fragment;
  }

  /** Drops the oldest messages past the cap; they can be loaded again. */
  private trimTop(): void {
    while (this.entries.size > this.cap) {
      const entry = this.entryAt(this.olderButton.nextElementSibling);
      if (!entry || entry === this.live) break;
      this.drop(entry);
      this.hasOlder = true;
    }
  }

  /** Drops the newest messages past the cap (the reader went far back). */
  private trimBottom(): void {
    while (this.entries.size > this.cap) {
      const entry = this.entryAt(this.latestButton.previousElementSibling);
      if (!entry) break;
      if (entry === this.live) this.stopLive();
      this.drop(entry);
      this.detached = true;
    }
  }

  private entryAt(element: Element | null): Entry | undefined {
    const id = (element as HTMLElement | null)?.dataset?.id;
    return id === undefined ? undefined : this.entries.get(id);
  }

  private drop(entry: Entry): void {
    entry.element.remove();
    this.entries.delete(entry.message.id);
  }

  private askOlder(): void {
    const first = this.firstId();
    if (!this.hasOlder || this.olderAsked !== undefined || first === undefined) return;
    this.olderAsked = first;
    this.events.loadOlder(first);
  }

  private firstId(): string | undefined {
    const first = this.olderButton.nextElementSibling as HTMLElement | null;
    return first?.dataset.id;
  }

  private updateChrome(): void {
    this.olderButton.hidden = !this.hasOlder;
    this.latestButton.hidden = !this.detached;
    this.empty.hidden = this.entries.size > 0 || this.hasOlder;
  }

  private replyView(body: HTMLElement): ReplyView {
    return new ReplyView(body, (markdown) => this.blockNodes(markdown), this.render);
  }

  private bodyOf(message: PanelMessage): HTMLElement {
    const body = h('div', { className: 'message-body' });
    if (message.role === 'user') {
      body.classList.add('plain');
      body.textContent = message.text;
    } else {
      const reply = this.replyView(body);
      reply.push(message.text);
      reply.finish();
    }
    return body;
  }

  private messageElement(message: PanelMessage, body: HTMLElement, live: boolean): HTMLElement {
    const article = h('article', {
      className: `message message-${message.role}${live ? ' streaming' : ''}`,
      'data-role': message.role,
      'data-id': message.id,
      'aria-busy': live ? 'true' : undefined,
    });
    article.append(h('div', { className: 'message-author' }, message.role === 'user' ? 'You' : 'Endless'));
    if (message.attachments.length > 0) {
      const labels = h('div', { className: 'message-attachments' });
      for (const label of message.attachments) labels.append(h('span', { className: 'chip' }, label));
      article.append(labels);
    }
    if (live && message.text.length === 0) {
      this.thinking = h('span', { className: 'thinking' }, 'Thinking…');
      body.prepend(this.thinking);
    }
    article.append(body);
    if (message.notice) article.append(h('div', { className: 'message-note notice' }, message.notice));
    const note = message.error ? `Error: ${message.error}` : message.finish ? FINISH_NOTES[message.finish] : undefined;
    if (note) article.append(h('div', { className: message.error ? 'message-note error' : 'message-note' }, note));
    return article;
  }

  /** Complete markdown blocks as nodes (sanitised by markdown.ts), with their code-block buttons. */
  private blockNodes(markdown: string): DocumentFragment {
    const nodes = this.render(markdown);
    this.decorateCodeBlocks(nodes);
    return nodes;
  }

  private decorateCodeBlocks(root: DocumentFragment): void {
    for (const block of root.querySelectorAll<HTMLElement>('.code-block')) {
      // markdown.ts writes each block as div.code-block > pre > code.
      const code = block.firstElementChild?.firstElementChild?.textContent ?? '';
      // A fence just opened (or cut by Stop) has nothing to act on yet.
      if (code.trim().length === 0) continue;
      const language = block.dataset.lang ?? '';
      const button = (label: string, action: CodeAction, title: string) => {
        const element = h('button', { type: 'button', className: 'code-action', title, 'aria-label': `${title}` }, label);
        element.addEventListener('click', () => this.events.codeAction(action, code, language));
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
