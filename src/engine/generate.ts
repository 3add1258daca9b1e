// The generation loop as steps: one forward pass per step, so the scheduler can interleave
// streams and a cancel lands before the next pass. The stream must already hold the prompt.
import type { FinishReason } from './protocol';
import { Sampler, type SamplingOptions } from './sampler';
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
  for (;;) {
    const limit = criteria.beforeStep(ids.length);
    if (limit) return finish(limit);
    const logits = stream.lastLogits;
    if (!logits) throw new Error('generation needs the logits of a prefilled prompt');
    const token = sampler.sample(logits, stream.cache.tokens.subarray(0, stream.cache.length));
    if (firstTokenAt === 0) firstTokenAt = performance.now();
    if (criteria.isEos(token)) return finish('eos');
    ids.push(token);
    onToken(text.push(token), ids.length, firstTokenAt);
    if (text.stopped) return finish('stop');
    // The last allowed token need not pass through the model.
    if (criteria.beforeStep(ids.length) === 'length') return finish('length');
    yield* stream.feed([token]);
  }
}
