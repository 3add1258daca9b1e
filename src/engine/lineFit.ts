// How well a candidate first line fits the file read top to bottom: the log-probability of the
// line and the two lines after it, given the path and the code above, in the plain layout the
// model was trained on for whole files (`<|file_sep|>path\n` then the code). The completion
// itself is written in the FIM layout, where the code after the cursor comes first; this second
// reading checks a line against what follows it the way the model reads most of its training
// code, and adding it to the line's FIM log-probability picks the right line more often
// (tools/eval/results/README.md, "Choosing the first line").
//
// The reading has a stream of its own, a sink stream like the others: the code above the
// cursor's line flows through it as the user goes down the file, each line read once, so a
// request pays only for the lines it scores (the editor feed keeps it read ahead of requests).
import { logSumExp } from './sampler';
import type { Stream, StreamMark } from './stream';
import type { TextTokenizer } from './tokenizer';

/** The code after the cursor the reading takes in: the rest of the line and this many more. */
const LINES_BELOW = 2;

export interface LineFitContext {
  path: string;
  /** Text before the cursor. */
  prefix: string;
  /** Text after the cursor. */
  suffix: string;
}

/** The reading stream and what it holds. */
export class LineReader {
  /** The file read last (none: the stream holds no reading to build on). */
  private path: string | undefined;
  /** The code above the cursor's line at the last request, and where it ends in the stream. */
  private read = '';
  private readEnd = 0;

  constructor(
    private readonly stream: Stream,
    private readonly tokenizer: TextTokenizer,
  ) {}

  /**
   * Brings the stream to the code above the cursor's line. Code read before is kept when the
   * request's code above begins with the end of it (the host's window moved down, the user went
   * on typing); only what follows is read. Anything else starts the reading over.
   */
  async *align(context: LineFitContext): AsyncGenerator<void, void, void> {
    const { above } = atCursorLine(context.prefix);
    const stream = this.stream;
    const kept = context.path === this.path ? continuation(this.read, above) : null;
    if (kept === null) {
      // Until the head is read in full there is nothing to build on (a feed may be cut off).
      this.path = undefined;
      stream.reset();
      const { sink, fileSep } = this.tokenizer.special;
      // A model without a file separator reads the code alone.
      const head = [
        ...(sink !== undefined ? [sink] : []),
        ...(fileSep !== undefined ? [fileSep, ...this.tokenizer.encodeText(`${context.path}\n${above}`)] : this.tokenizer.encodeText(above)),
      ];
      yield* stream.feed(stream.plan(head, 0, 0, true) ?? head);
    } else {
      // Whatever a line's scoring left after the code read is dropped here.
      const feed = stream.plan(this.tokenizer.encodeText(kept), this.readEnd, 0, false);
      if (feed === null) {
        this.path = undefined;
        return yield* this.align(context);
      }
      yield* stream.feed(feed);
    }
    // The next request's code above starts within this one's, wherever the host's window moved.
    this.read = above;
    this.path = context.path;
    this.readEnd = stream.logicalLength;
  }

  /** Reads up to the cursor's line and leaves room to score lines of up to `lineTokens` tokens; null when the window is too small. */
  async *open(context: LineFitContext, lineTokens: number): AsyncGenerator<void, LineFit | null, void> {
    yield* this.align(context);
    const { before } = atCursorLine(context.prefix);
    const after = linesAhead(context.suffix, LINES_BELOW);
    // A line may take a few more tokens where it joins what is around it.
    const room = this.tokenizer.encodeText(before + after).length + lineTokens + 8;
    if (this.stream.lastLogits === null || !(yield* this.stream.reserve(room))) return null;
    return new LineFit(this.stream, this.tokenizer, this.stream.mark(), before, after, room);
  }

  reset(): void {
    this.path = undefined;
    this.stream.reset();
  }
}

/** Scores candidate lines at one cursor position. */
export class LineFit {
  constructor(
    private readonly stream: Stream,
    private readonly tokenizer: TextTokenizer,
    private readonly mark: StreamMark,
    /** What comes between the code above and a candidate: the cursor's line up to the cursor. */
    private readonly before: string,
    /** What follows a candidate: the rest of the cursor's line and the lines below. */
    private readonly after: string,
    private readonly room: number,
  ) {}

  /** Log-probability of `line` (the text the completion puts at the cursor) and what follows it. */
  async *score(line: string): AsyncGenerator<void, number, void> {
    const ids = this.tokenizer.encodeText(this.before + line + this.after);
    if (ids.length > this.room) return -Infinity;
    this.stream.rewind(this.mark);
    let previous: Float32Array = this.mark.logits;
    let sum = 0;
    let next = 0;
    yield* this.stream.feed(ids, (logits, rows) => {
      const vocab = logits.length / rows;
      for (let row = 0; row < rows; row++, next++) {
        sum += previous[ids[next]] - logSumExp(previous);
        previous = logits.subarray(row * vocab, (row + 1) * vocab);
      }
      // The next pass may write over these logits.
      previous = previous.slice();
    });
    return sum;
  }
}

/** The prefix split where the cursor's line begins: the code above, and the line break and the line up to the cursor. */
function atCursorLine(prefix: string): { above: string; before: string } {
  const lineStart = prefix.lastIndexOf('\n');
  return lineStart >= 0 ? { above: prefix.slice(0, lineStart), before: prefix.slice(lineStart) } : { above: '', before: prefix };
}

/**
 * What `above` adds to code read before (`read`), when `above` begins with an end of it that
 * starts at a line: the host's window keeps the code above the cursor from a line start. Null
 * when it does not (another place, an edit above the cursor) or the end is too short to trust
 * (under half of what was read, and under 256 characters).
 */
function continuation(read: string, above: string): string | null {
  const least = Math.min(256, Math.ceil(read.length / 2));
  // An end longer than `above` cannot begin it: start at the first line that leaves one short enough.
  let start = read.length > above.length ? read.indexOf('\n', read.length - above.length - 1) + 1 : 0;
  while (start > 0 || (start === 0 && read.length <= above.length)) {
    const end = read.slice(start);
    if (end.length < least) return null;
    if (above.startsWith(end)) return above.slice(end.length);
    start = read.indexOf('\n', start) + 1;
    if (start === 0) return null;
  }
  return null;
}

/** `text` up to (not including) its `count + 1`-th line break: the rest of the line and `count` more. */
function linesAhead(text: string, count: number): string {
  let end = -1;
  for (let i = 0; i <= count; i++) {
    end = text.indexOf('\n', end + 1);
    if (end < 0) return text;
  }
  return text.slice(0, end);
}
