// The generation loop as steps: one forward pass per step, so the scheduler can interleave
// streams and a cancel lands before the next pass. The stream must already hold the prompt.
import type { FinishReason } from './protocol';
import { FirstLine, type LineSearchOptions } from './lineSearch';
import { logSumExp, Sampler, type SamplingOptions } from './sampler';
import type { StopCriteria } from './stopCriteria';
import type { Stream } from './stream';
import { TextStream } from './textStream';
import type { TextTokenizer } from './tokenizer';

export interface GenerationResult {
  reason: FinishReason;
  text: string;
  ids: number[];
  /** performance.now() when the first token was sampled; 0 if none was. */
  firstTokenAt: number;
}

export async function* generate(
  stream: Stream,
  tokenizer: TextTokenizer,
  sampling: SamplingOptions,
  stops: readonly string[],
  criteria: StopCriteria,
  /** Called for every generated token with the text it released (possibly '') and the count so far. */
  onToken: (piece: string, generated: number, firstTokenAt: number) => void,
  /** Greedy decoding only: choose the first line among several (lineSearch.ts). */
  lineSearch?: LineSearchOptions,
): AsyncGenerator<void, GenerationResult, void> {
  const sampler = new Sampler(sampling);
  const text = new TextStream(tokenizer, stops);
  const ids: number[] = [];
  let firstTokenAt = 0;
  const finish = (reason: FinishReason): GenerationResult => {
    const rest = text.flush();
    if (rest) onToken(rest, ids.length, firstTokenAt);
    return { reason, text: text.fullText, ids, firstTokenAt };
  };
  // Hands a token on; says why generation ends at it, if it does.
  const take = (token: number): FinishReason | null => {
    if (criteria.isEos(token)) return 'eos';
    ids.push(token);
    onToken(text.push(token), ids.length, firstTokenAt);
    return text.stopped ? 'stop' : null;
  };
  const greedy = sampling.temperature === 0 && sampling.repetitionPenalty === 1;
  let firstLine =
    lineSearch && lineSearch.candidates > 1 && greedy && criteria.beforeStep(0) === null
      ? yield* FirstLine.open(stream, tokenizer, lineSearch, criteria)
      : null;
  for (;;) {
    const limit = criteria.beforeStep(ids.length + (firstLine?.held.length ?? 0));
    if (limit) {
      // A limit ends a held line as greedy decoding wrote it.
      for (const token of firstLine?.held ?? []) take(token);
      return finish(limit);
    }
    const logits = stream.lastLogits;
    if (!logits) throw new Error('generation needs the logits of a prefilled prompt');
    const token = sampler.sample(logits, stream.cache.tokens.subarray(0, stream.cache.length));
    if (firstTokenAt === 0) firstTokenAt = performance.now();
    const step = firstLine?.add(token, logits[token] - logSumExp(logits));
    if (step === 'hold') {
      yield* stream.feed([token]);
      continue;
    }
    if (step === 'choose') {
      const line = yield* firstLine!.choose();
      firstLine = null;
      for (const id of line) {
        const end = take(id);
        if (end) return finish(end);
      }
      continue;
    }
    const release = step === 'release' ? firstLine!.held : [token];
    firstLine = null;
    for (const id of release) {
      const end = take(id);
      if (end) return finish(end);
    }
    // The last allowed token need not pass through the model.
    if (criteria.beforeStep(ids.length) === 'length') return finish('length');
    yield* stream.feed([token]);
  }
}
