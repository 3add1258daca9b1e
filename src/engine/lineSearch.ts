// A completion's first line, chosen among the lines greedy decoding and the next most likely
// first tokens lead to (each finished greedily). Two cases bring about a choice:
//  - greedy decoding's line would be thrown away: it has nothing on it, or it repeats the code
//    after the cursor (the host's stop rules drop it, and the user sees nothing);
//  - the model is unsure how the line begins: greedy decoding's first token is less likely than
//    `weighBelow`.
// Each finished line is scored by the sum of its tokens' log-probabilities (the token that ends
// it included) plus, where the caller gives one, how well it reads with the code around it
// (lineFit.ts), and the best wanted line is kept. Otherwise greedy decoding's line stands, and
// its tokens are handed on as soon as it can no longer turn out unwanted, so such a line streams
// as before (tools/eval/results/README.md, "Choosing the first line" and "Weighing an unsure
// first line").
import type { LineFit } from './lineFit';
import { argmax, logSumExp, topKIndices } from './sampler';
import type { StopCriteria } from './stopCriteria';
import type { Stream, StreamMark } from './stream';
import type { TextTokenizer } from './tokenizer';

export interface LineSearchOptions {
  /** First tokens that may lead the line, greedy decoding's included (≥ 2 to search at all). */
  candidates: number;
  /** Lines (trimmed) the caller would throw away. */
  unwanted: ReadonlySet<string>;
  /** Greedy decoding's first token less likely than this: its line is weighed against the others. */
  weighBelow: number;
  /** Opens the reading that scores a line with the code around it; none: a line's own log-probability decides. */
  fit?: () => AsyncGenerator<void, LineFit | null, void>;
}

/** What to do with greedy decoding's latest token. */
export type FirstLineStep = 'hold' | 'release' | 'choose';

interface Line {
  ids: number[];
  logProb: number;
  /** `logProb` plus the line's fit, once scored. */
  score: number;
  /** 'line': ended by a line break or an end token; 'limit': cut by a limit; 'behind': given up. */
  end: 'line' | 'limit' | 'behind';
  /** A finished line the caller keeps (false for one cut or given up). */
  wanted: boolean;
}

export class FirstLine {
  /** Greedy decoding's tokens held back: all but the last have been fed. */
  readonly held: number[] = [];
  private heldLogProb = 0;

  private constructor(
    private readonly stream: Stream,
    private readonly tokenizer: TextTokenizer,
    private readonly options: LineSearchOptions,
    private readonly criteria: StopCriteria,
    private readonly mark: StreamMark,
    /** Whether greedy decoding's line is weighed against the others even when it is wanted. */
    private readonly weighGreedy: boolean,
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
    const mark = stream.mark();
    const greedyLogProb = mark.logits[argmax(mark.logits)] - logSumExp(mark.logits);
    return new FirstLine(stream, tokenizer, options, criteria, mark, greedyLogProb < Math.log(options.weighBelow));
  }

  /**
   * Takes greedy decoding's next token and its log-probability. 'hold': the line so far may yet
   * be weighed or turn out unwanted (feed the token and go on); 'release': it cannot, or it ended
   * wanted and is not weighed (hand on `held`, this token last, and decode as usual from here);
   * 'choose': it ended and the lines are to be weighed (call `choose`).
   */
  add(token: number, logProb: number): FirstLineStep {
    this.held.push(token);
    this.heldLogProb += logProb;
    const { text, line } = this.lineOf(this.held);
    if (line !== null) return this.weighGreedy || !this.wanted(line) ? 'choose' : 'release';
    return this.weighGreedy || this.mayTurnUnwanted(text) ? 'hold' : 'release';
  }

  /**
   * Writes the lines the next likeliest first tokens lead to and returns the best wanted one,
   * greedy decoding's (`held`) included when it is wanted, or greedy decoding's when none is.
   * On return the stream holds the prompt and the returned ids, a final end token excepted.
   */
  async *choose(): AsyncGenerator<void, number[], void> {
    const { stream, mark } = this;
    const fit = this.options.fit ? yield* this.options.fit() : null;
    const norm = logSumExp(mark.logits);
    const firsts = topKIndices(mark.logits, this.options.candidates).filter((token) => token !== this.held[0]);
    const greedy = yield* this.scored(this.finished(this.held, this.heldLogProb), fit);
    let best: Line | undefined = greedy.wanted ? greedy : undefined;
    // The line whose tokens the stream holds (all but the last).
    let written: Line = greedy;
    for (const token of firsts) {
      // Every token adds a log-probability ≤ 0, and a fit is a log-probability too, so a line
      // already less likely than the best one's score cannot overtake it and is given up at
      // once. First tokens come in order, so once one starts behind, all the rest do.
      const floor = best?.score ?? -Infinity;
      const logProb = mark.logits[token] - norm;
      if (logProb <= floor) break;
      stream.rewind(mark);
      written = yield* this.finishLine(token, logProb, floor);
      // A line cut short by a limit is no fair rival, and the limit ends the search.
      if (written.end === 'limit') break;
      if (!written.wanted) continue;
      const line = yield* this.scored(written, fit);
      if (line.score > floor) best = line;
    }
    const { ids } = best ?? greedy;
    // The line written last is still in the stream, all but its last token; any other is fed again.
    const kept = ids === written.ids ? ids.length - 1 : 0;
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
      if (this.lineOf(ids).line !== null) return this.finished(ids, sum);
      if (ids.length >= this.criteria.maxTokens || this.criteria.pastDeadline()) return { ids, logProb: sum, score: sum, end: 'limit', wanted: false };
      yield* this.stream.feed([token]);
      const logits = this.stream.lastLogits!;
      token = argmax(logits);
      sum += logits[token] - logSumExp(logits);
      ids.push(token);
      if (sum <= floor) return { ids, logProb: sum, score: sum, end: 'behind', wanted: false };
    }
  }

  private finished(ids: number[], logProb: number): Line {
    const { line } = this.lineOf(ids);
    return { ids, logProb, score: logProb, end: 'line', wanted: line !== null && this.wanted(line) };
  }

  /** `line` with its fit added to its score (a wanted line only: the others are never kept). */
  private async *scored(line: Line, fit: LineFit | null): AsyncGenerator<void, Line, void> {
    if (!fit || !line.wanted) return line;
    return { ...line, score: line.logProb + (yield* fit.score(this.lineOf(line.ids).line!)) };
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
