// Draws a reply's markdown into its message body as the text streams in, at a cost linear in the
// reply and bounded per frame. Complete blocks (markdownBlocks.ts) are rendered once, together
// with the others completed in the same frame, and never touched again; only the block being
// written is live:
// - an open code fence shows its code as plain text, each frame appending only what is new, and
//   is rendered (highlighted) once when its closing line arrives;
// - open text is re-rendered as markdown each frame while it is short, and past that shown as
//   plain text that only grows, until a blank line completes it.
// A restored message goes through the same path at once, so it looks the same as when it streamed.
import { h } from './dom';
import { BlockSplitter, type OpenBlock } from './markdownBlocks';

/** Open text up to this length is re-rendered as markdown on each frame. */
export const LIVE_MARKDOWN_MAX_CHARS = 4_000;
/** Text taken in per frame at most; the rest waits for the next frame. */
export const FRAME_BUDGET_CHARS = 64 * 1024;

/**
 * Turns complete blocks, joined, into nodes (sanitised markdown with its code-block buttons).
 * The blocks completed in one frame are rendered together: one pass of the renderer and the
 * sanitiser per frame rather than per paragraph.
 */
export type BlockRenderer = (markdown: string) => DocumentFragment;
/** Sanitised nodes of a markdown text (markdown.ts). */
export type LiveRenderer = (markdown: string) => DocumentFragment;

export class ReplyView {
  private readonly splitter = new BlockSplitter();
  private pending: string[] = [];
  private pendingCount = 0;
  private shown = 0;
  /** The element showing the open block, the block it shows, and how many of its pieces it holds. */
  private live: HTMLElement | undefined;
  private liveBlock: Readonly<OpenBlock> | undefined;
  private livePieces = 0;
  private liveTarget: HTMLElement | undefined;

  constructor(
    readonly body: HTMLElement,
    private readonly renderBlock: BlockRenderer,
    private readonly renderLive: LiveRenderer,
  ) {}

  /** Characters drawn so far (what the user has seen). */
  get shownChars(): number {
    return this.shown;
  }

  /** Characters received and not yet drawn. */
  get pendingChars(): number {
    return this.pendingCount;
  }

  push(text: string): void {
    if (text.length === 0) return;
    this.pending.push(text);
    this.pendingCount += text.length;
  }

  /** Draws up to `budget` characters of what was received; returns whether more is waiting. */
  draw(budget = FRAME_BUDGET_CHARS): boolean {
    const chunk = this.takePending(budget);
    if (chunk.length > 0) {
      this.splitter.push(chunk);
      this.shown += chunk.length;
      this.placeCompleted();
      this.drawLive();
    }
    return this.pendingCount > 0;
  }

  /** Draws everything received and completes the last block: the reply is final. */
  finish(): void {
    while (this.draw(Number.MAX_SAFE_INTEGER));
    this.splitter.finish();
    this.placeCompleted();
    this.dropLive();
  }

  /** Everything queued up to `budget` characters, as one string. */
  private takePending(budget: number): string {
    const taken: string[] = [];
    let count = 0;
    let index = 0;
    const pending = this.pending;
    while (index < pending.length && count < budget) {
      const head = pending[index];
      if (count + head.length <= budget) {
        taken.push(head);
        count += head.length;
        index++;
      } else {
        const cut = budget - count;
        taken.push(head.slice(0, cut));
        pending[index] = head.slice(cut);
        count += cut;
      }
    }
    // One copy of what is left (not a shift per piece, which would cost the queue's length each).
    this.pending = index === pending.length ? [] : pending.slice(index);
    this.pendingCount -= count;
    return taken.length === 1 ? taken[0] : taken.join('');
  }

  /** Renders the blocks just completed, in place of the live element that showed them. */
  private placeCompleted(): void {
    const blocks = this.splitter.take();
    if (blocks.length === 0) return;
    const fragment = this.renderBlock(blocks.length === 1 ? blocks[0].text : blocks.map((block) => block.text).join(''));
    if (this.live) this.live.before(fragment);
    else this.body.append(fragment);
    this.dropLive();
  }

  private dropLive(): void {
    this.live?.remove();
    this.live = undefined;
    this.liveBlock = undefined;
    this.liveTarget = undefined;
  }

  private drawLive(): void {
    const block = this.splitter.current;
    if (block.chars === 0) return;
    if (block !== this.liveBlock || (block.kind === 'text' && this.liveTarget === undefined && block.chars > LIVE_MARKDOWN_MAX_CHARS)) {
      this.startLive(block);
    }
    if (this.liveTarget) {
      // Plain text that only grows: append the pieces that arrived since the last frame.
      const fresh = block.pieces.slice(this.livePieces);
      this.livePieces = block.pieces.length;
      if (fresh.length > 0) this.liveTarget.append(fresh.length === 1 ? fresh[0] : fresh.join(''));
    } else if (this.live) {
      // Short open text: re-rendered whole, bounded by LIVE_MARKDOWN_MAX_CHARS.
      this.live.replaceChildren(this.renderLive(block.pieces.join('')));
    }
  }

  /** A new live element for `block`: code for a fence, markdown or plain text for text. */
  private startLive(block: Readonly<OpenBlock>): void {
    const previous = this.live;
    this.liveBlock = block;
    if (block.kind === 'fence') {
      const code = h('code', {});
      this.live = h('div', { className: 'code-block live', 'data-lang': block.language }, h('pre', {}, code));
      this.liveTarget = code;
      this.livePieces = block.headPieces;
    } else if (block.chars > LIVE_MARKDOWN_MAX_CHARS) {
      this.live = h('div', { className: 'live-text' });
      this.liveTarget = this.live;
      this.livePieces = 0;
    } else {
      this.live = h('div', { className: 'live-markdown' });
      this.liveTarget = undefined;
      this.livePieces = 0;
    }
    if (previous) previous.replaceWith(this.live);
    else this.body.append(this.live);
  }
}
