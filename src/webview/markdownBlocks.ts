// Cuts markdown, as it streams in, into blocks that render on their own and never change once
// complete: a code fence from its opening line to its closing line, or text up to a blank line
// outside a fence. A reply is then rendered block by block, each block once, so the cost of
// rendering it is linear in its length however it arrives. The work per call is linear in the
// text pushed: no text already taken in is scanned again.

/** A fence's opening line: up to three spaces, three or more backticks or tildes, an info string. */
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;
/** Only the start of a line is kept to recognise it: fence lines are short. */
const LINE_HEAD_CHARS = 120;

export interface OpenBlock {
  kind: 'text' | 'fence';
  /** The fence's language (the first word of its info string); '' for text. */
  language: string;
  /** The block's text so far, in the pieces it arrived in (joined only once it is complete). */
  pieces: string[];
  /** Total length of `pieces`. */
  chars: number;
  /** For a fence: how many of `pieces` make its opening line (the code starts after them). */
  headPieces: number;
}

export interface Block {
  kind: 'text' | 'fence';
  text: string;
}

export class BlockSplitter {
  private open: OpenBlock = newBlock('text', '');
  private fence: { marker: string; length: number } | undefined;
  /** The current line: where it starts in `open.pieces`, its first characters, whether it is blank so far. */
  private lineStart = 0;
  private lineHead = '';
  private lineBlank = true;
  private completed: Block[] = [];

  /** The block being written. Its `pieces` grow with each push; do not change them. */
  get current(): Readonly<OpenBlock> {
    return this.open;
  }

  /** Takes in more text; blocks it completes are returned by the next `take()`. */
  push(text: string): void {
    let from = 0;
    while (from < text.length) {
      const newline = text.indexOf('\n', from);
      const end = newline < 0 ? text.length : newline + 1;
      const segment = from === 0 && end === text.length ? text : text.slice(from, end);
      this.open.pieces.push(segment);
      this.open.chars += segment.length;
      if (this.lineHead.length < LINE_HEAD_CHARS) this.lineHead += segment.slice(0, LINE_HEAD_CHARS - this.lineHead.length);
      if (this.lineBlank && !/^\s*$/.test(segment)) this.lineBlank = false;
      if (newline >= 0) this.endLine();
      from = end;
    }
  }

  /** The end of the text: the block being written is complete whatever state it is in. */
  finish(): void {
    this.complete(this.open.pieces.length);
    this.open = newBlock('text', '');
    this.fence = undefined;
    this.newLine();
  }

  /** Blocks completed since the last call, in order. */
  take(): Block[] {
    const blocks = this.completed;
    this.completed = [];
    return blocks;
  }

  private endLine(): void {
    const line = this.lineHead.replace(/\r?\n$/, '');
    if (this.fence) {
      const close = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (close && close[1][0] === this.fence.marker && close[1].length >= this.fence.length) {
        this.complete(this.open.pieces.length);
        this.open = newBlock('text', '');
        this.fence = undefined;
      }
    } else if (this.lineBlank) {
      this.complete(this.open.pieces.length);
      this.open = newBlock('text', '');
    } else {
      const opening = this.lineHead.length < LINE_HEAD_CHARS ? line.match(FENCE_OPEN) : null;
      if (opening) {
        // The text before the fence is a block of its own; the fence starts at this line.
        const head = this.open.pieces.splice(this.lineStart);
        this.complete(this.open.pieces.length);
        this.open = newBlock('fence', opening[2].trim().split(/\s+/)[0] ?? '');
        this.open.pieces = head;
        this.open.chars = head.reduce((sum, piece) => sum + piece.length, 0);
        this.open.headPieces = head.length;
        this.fence = { marker: opening[1][0], length: opening[1].length };
      }
    }
    this.newLine();
  }

  /** Completes the open block with its first `count` pieces; blank text is dropped. */
  private complete(count: number): void {
    const text = this.open.pieces.slice(0, count).join('');
    if (this.open.kind === 'fence' || !/^\s*$/.test(text)) this.completed.push({ kind: this.open.kind, text });
  }

  private newLine(): void {
    this.lineStart = this.open.pieces.length;
    this.lineHead = '';
    this.lineBlank = true;
  }
}

function newBlock(kind: OpenBlock['kind'], language: string): OpenBlock {
  return { kind, language, pieces: [], chars: 0, headPieces: 0 };
}

/** Splits a whole text at once, exactly as it would be split while streaming. */
export function splitBlocks(text: string): Block[] {
  const splitter = new BlockSplitter();
  splitter.push(text);
  splitter.finish();
  return splitter.take();
}
