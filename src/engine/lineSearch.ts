// The first line of a greedy completion, chosen with a look at where each start leads. Greedy
// decoding commits to the most likely first token before it sees the rest of the line, and a
// small model's first token is often a near tie. A line is short enough to write a few times:
// this tries the `candidates` most likely first tokens, finishes each line greedily, and keeps
// the line the model finds most likely as a whole (the sum of its tokens' log-probabilities,
// the token that ends it included). A line the caller would throw away (`unwanted`) or one with
// nothing on it loses to any other. On held-out code this completes more lines than greedy
// decoding does (tools/eval/results/README.md, "Choosing the first line").
import type { StopCriteria } from './stopCriteria';
import type { Stream } from './stream';
import { argmax, topKIndices } from './sampler';
import type { TextTokenizer } from './tokenizer';

export interface LineSearchOptions {
  /** First tokens to try (≥ 2; one is plain greedy decoding). */
  candidates: number;
  /** Whether the text of a finished line (without its line break) would be thrown away. */
  unwanted: (line: string) => boolean;
}

interface Candidate {
  ids: number[];
  logProb: number;
  /** 'line': ended by a line break or an end token; 'limit': cut by a limit; 'behind': given up (below). */
  end: 'line' | 'limit' | 'behind';
  wanted: boolean;
}

/**
 * Writes candidate lines into `stream`, which must hold the prompt, and returns the chosen
 * line's ids: up to and including the token that ends it (a line break or an end token), or
 * fewer when a limit of `criteria` cut it (then the first line, as greedy decoding writes it).
 * On return the stream holds the prompt and every chosen id except a final end token. Null,
 * with the stream untouched, when the window has no room for a line of `criteria.maxTokens`
 * without evicting.
 */
export async function* searchLine(
  stream: Stream,
  tokenizer: TextTokenizer,
  options: LineSearchOptions,
  criteria: StopCriteria,
): AsyncGenerator<void, number[] | null, void> {
  if (!(yield* stream.reserve(criteria.maxTokens))) return null;
  const mark = stream.mark();
  const first = logSoftmax(mark.logits);
  const lines: Candidate[] = [];
  let written: Candidate | undefined;
  for (const [rank, token] of topKIndices(mark.logits, options.candidates).entries()) {
    // Every token adds a log-probability ≤ 0, so a line already less likely than the best
    // wanted one cannot overtake it: such a line is given up at once. First tokens come in
    // order, so once one starts behind, all the rest do.
    const floor = Math.max(-Infinity, ...lines.filter((line) => line.wanted).map((line) => line.logProb));
    if (first[token] <= floor) break;
    if (rank > 0) stream.rewind(mark);
    written = yield* finishLine(stream, tokenizer, token, first[token], floor, criteria, options.unwanted);
    if (written.end === 'behind') continue;
    // A line cut short by a limit is no fair rival; the first one stands for greedy decoding.
    if (written.end === 'limit' && rank > 0) break;
    lines.push(written);
    if (written.end === 'limit') break;
  }
  const best = lines.reduce((a, b) => (better(b, a) ? b : a));
  // The line written last is still in the stream, all but its last token; any other is fed again.
  const held = best === written ? best.ids.length - 1 : 0;
  if (held === 0) stream.rewind(mark);
  const end = criteria.isEos(best.ids[best.ids.length - 1]) ? best.ids.length - 1 : best.ids.length;
  if (end > held) yield* stream.feed(best.ids.slice(held, end));
  return best.ids;
}

/**
 * Greedy decoding from `token` to the end of its line, given up once the line is no more likely
 * than `floor`; the stream holds all but the last id.
 */
async function* finishLine(
  stream: Stream,
  tokenizer: TextTokenizer,
  token: number,
  logProb: number,
  floor: number,
  criteria: StopCriteria,
  unwanted: (line: string) => boolean,
): AsyncGenerator<void, Candidate, void> {
  const ids = [token];
  let sum = logProb;
  for (;;) {
    const text = tokenizer.decode(ids);
    const lineEnd = text.indexOf('\n');
    if (criteria.isEos(token) || lineEnd >= 0) {
      const line = lineEnd >= 0 ? text.slice(0, lineEnd) : text;
      return { ids, logProb: sum, end: 'line', wanted: line.trim().length > 0 && !unwanted(line) };
    }
    if (ids.length >= criteria.maxTokens || criteria.pastDeadline()) return { ids, logProb: sum, end: 'limit', wanted: true };
    yield* stream.feed([token]);
    const logits = stream.lastLogits!;
    token = argmax(logits);
    sum += logits[token] - logSumExp(logits);
    ids.push(token);
    if (sum <= floor) return { ids, logProb: sum, end: 'behind', wanted: false };
  }
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.wanted !== b.wanted) return a.wanted;
  return a.logProb > b.logProb;
}

function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  return max + Math.log(total);
}

function logSoftmax(logits: Float32Array): Float64Array {
  const norm = logSumExp(logits);
  return Float64Array.from(logits, (x) => x - norm);
}
