// How well a candidate first line fits the file read top to bottom: the log-probability of the
// line and the two lines after it, given the path and the code above, in the plain layout the
// model was trained on for whole files (`<|file_sep|>path\n` then the code). The completion
// itself is written in the FIM layout, where the code after the cursor comes first; this second
// reading checks a line against what follows it the way the model reads most of its training
// code, and adding it to the line's FIM log-probability picks the right line more often
// (tools/eval/results/README.md, "Choosing the first line").
//
// The reading has its own stream, apart from the editor's: it holds the code above the cursor's
// line, which does not change while the user types on that line, so a request mostly finds it
// already in the cache and pays only for the lines it scores.
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

export class LineFit {
  private constructor(
    private readonly stream: Stream,
    private readonly tokenizer: TextTokenizer,
    private readonly mark: StreamMark,
    /** What comes between the code above and a candidate: the cursor's line up to the cursor. */
    private readonly before: string,
    /** What follows a candidate: the rest of the cursor's line and the lines below. */
    private readonly after: string,
    private readonly room: number,
  ) {}

  /**
   * Brings `stream` to the code above the cursor's line, feeding only what it does not hold
   * yet, and leaves room for lines of up to `lineTokens` tokens; null when the stream's window
   * cannot hold such a reading.
   */
  static async *open(
    stream: Stream,
    tokenizer: TextTokenizer,
    context: LineFitContext,
    lineTokens: number,
  ): AsyncGenerator<void, LineFit | null, void> {
    const lineStart = context.prefix.lastIndexOf('\n');
    const above = lineStart >= 0 ? context.prefix.slice(0, lineStart) : '';
    const before = lineStart >= 0 ? context.prefix.slice(lineStart) : context.prefix;
    const after = linesAhead(context.suffix, LINES_BELOW);
    const { sink, fileSep } = tokenizer.special;
    // A model without a file separator reads the code alone.
    const head = [
      ...(sink !== undefined ? [sink] : []),
      ...(fileSep !== undefined ? [fileSep, ...tokenizer.encodeText(`${context.path}\n${above}`)] : tokenizer.encodeText(above)),
    ];
    let feed = stream.plan(head, 0, 0, true);
    if (feed === null) {
      stream.reset();
      feed = stream.plan(head, 0, 0, true) ?? [];
    }
    yield* stream.feed(feed);
    // A line may take a few more tokens where it joins what is around it.
    const room = tokenizer.encodeText(before + after).length + lineTokens + 8;
    if (stream.lastLogits === null || !(yield* stream.reserve(room))) return null;
    return new LineFit(stream, tokenizer, stream.mark(), before, after, room);
  }

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

/** `text` up to (not including) its `count + 1`-th line break: the rest of the line and `count` more. */
function linesAhead(text: string, count: number): string {
  let end = -1;
  for (let i = 0; i <= count; i++) {
    end = text.indexOf('\n', end + 1);
    if (end < 0) return text;
  }
  return text.slice(0, end);
}
