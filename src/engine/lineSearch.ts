// A completion's first line when greedy decoding writes one the caller would throw away: a
// line that repeats the code after the cursor (the host's stop rules drop it, and the user sees
// nothing) or a line with nothing on it. Then the lines the next most likely first tokens lead
// to are written too, each finished greedily, and the one the model finds most likely as a
// whole is kept (the sum of its tokens' log-probabilities, the token that ends it included).
// Greedy decoding's line stands whenever it is wanted, and its tokens are handed on as soon as
// it can no longer turn out unwanted, so a wanted line streams as before. Keeping the likeliest
// whole line every time completes more held-out lines exactly, but gets the first word and the
// edit similarity wrong more often (tools/eval/results/README.md, "Choosing the first line").
import { argmax, logSumExp, topKIndices } from './sampler';
import type { StopCriteria } from './stopCriteria';
import type { Stream, StreamMark } from './stream';
import type { TextTokenizer } from './tokenizer';

export interface LineSearchOptions {
  /** First tokens that may lead the line, greedy decoding's included (≥ 2 to search at all). */
  candidates: number;
  /** Lines (trimmed) the caller would throw away. */
  unwanted: ReadonlySet<string>;
}

/** What to do with greedy decoding's latest token. */
export type FirstLineStep = 'hold' | 'release' | 'replace';

interface Line {
  ids: number[];
  logProb: number;
  /** 'line': ended by a line break or an end token; 'limit': cut by a limit; 'behind': given up. */
  end: 'line' | 'limit' | 'behind';
  /** A finished line the caller keeps (false for one cut or given up). */
  wanted: boolean;
}

export class FirstLine {
  /** Greedy decoding's tokens held back: all but the last have been fed. */
  readonly held: number[] = [];

  private constructor(
    private readonly stream: Stream,
    private readonly tokenizer: TextTokenizer,
    private readonly options: LineSearchOptions,
    private readonly criteria: StopCriteria,
    private readonly mark: StreamMark,
  ) {}

  /**
   * Marks the stream, which must hold the prompt; null when its window has no room for a line
   * of `criteria.maxTokens` without evicting (a replacement could not be written then).
   */
  static async *open(
    stream: Stream,
    tokenizer: TextTokenizer,
    options: LineSearchOptions,
    criteria: StopCriteria,
  ): AsyncGenerator<void, FirstLine | null, void> {
    if (!(yield* stream.reserve(criteria.maxTokens))) return null;
    return new FirstLine(stream, tokenizer, options, criteria, stream.mark());
  }

  /**
   * Takes greedy decoding's next token. 'hold': the line so far could still turn out unwanted
   * (feed the token and go on); 'release': it cannot, or it ended wanted (hand on `held`, this
   * token last, and decode as usual from here); 'replace': it ended unwanted (call `replace`).
   */
  add(token: number): FirstLineStep {
    this.held.push(token);
    const { text, line } = this.lineOf(this.held);
    if (line !== null) return this.wanted(line) ? 'release' : 'replace';
    return this.mayTurnUnwanted(text) ? 'hold' : 'release';
  }

  /**
   * Writes the lines the next likeliest first tokens lead to and returns the likeliest wanted
   * one, or greedy decoding's (`held`) when none is wanted. On return the stream holds the
   * prompt and the returned ids, a final end token excepted.
   */
  async *replace(): AsyncGenerator<void, number[], void> {
    const { stream, mark } = this;
    const norm = logSumExp(mark.logits);
    const firsts = topKIndices(mark.logits, this.options.candidates).filter((token) => token !== this.held[0]);
    let best: Line | undefined;
    let written: Line | undefined;
    for (const token of firsts) {
      // Every token adds a log-probability ≤ 0, so a line already less likely than the best
      // one so far cannot overtake it and is given up at once. First tokens come in order, so
      // once one starts behind, all the rest do.
      const floor = best?.logProb ?? -Infinity;
      const logProb = mark.logits[token] - norm;
      if (logProb <= floor) break;
      stream.rewind(mark);
      written = yield* this.finishLine(token, logProb, floor);
      // A line cut short by a limit is no fair rival, and the limit ends the search.
      if (written.end === 'limit') break;
      if (written.wanted) best = written;
    }
    const ids = best?.ids ?? this.held;
    // The line written last is still in the stream, all but its last token; any other is fed again.
    const kept = best !== undefined && best === written ? ids.length - 1 : 0;
    if (kept === 0) stream.rewind(mark);
    const end = this.criteria.isEos(ids[ids.length - 1]) ? ids.length - 1 : ids.length;
    if (end > kept) yield* stream.feed(ids.slice(kept, end));
    return ids;
  }

  /** Greedy decoding from `token` to the end of its line, given up once no likelier than `floor`. */
  private async *finishLine(token: number, logProb: number, floor: number): AsyncGenerator<void, Line, void> {
    const ids = [token];
    let sum = logProb;
    for (;;) {
      const { line } = this.lineOf(ids);
      if (line !== null) return { ids, logProb: sum, end: 'line', wanted: this.wanted(line) };
      if (ids.length >= this.criteria.maxTokens || this.criteria.pastDeadline()) return { ids, logProb: sum, end: 'limit', wanted: false };
      yield* this.stream.feed([token]);
      const logits = this.stream.lastLogits!;
      token = argmax(logits);
      sum += logits[token] - logSumExp(logits);
      ids.push(token);
      if (sum <= floor) return { ids, logProb: sum, end: 'behind', wanted: false };
    }
  }

  /** The text of `ids`, and the line they finished (null while it goes on). */
  private lineOf(ids: number[]): { text: string; line: string | null } {
    const text = this.tokenizer.decode(ids);
    const lineEnd = text.indexOf('\n');
    if (lineEnd >= 0) return { text, line: text.slice(0, lineEnd) };
    return { text, line: this.criteria.isEos(ids[ids.length - 1]) ? text : null };
  }

  private wanted(line: string): boolean {
    const content = line.trim();
    return content.length > 0 && !this.options.unwanted.has(content);
  }

  /** Whether an unfinished line could still end empty or as an unwanted line. */
  private mayTurnUnwanted(partial: string): boolean {
    const content = partial.trimStart();
    if (content.trim().length === 0) return true;
    for (const line of this.options.unwanted) if (line.startsWith(content) || line === content.trimEnd()) return true;
    return false;
  }
}
