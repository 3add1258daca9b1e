// Whether a second intra-op thread pays off for decode steps and for prefill chunks, measured
// on this machine and this model at the cache depth the streams will run at. It depends on the
// model (matmul-bound or overhead-bound), on the depth (attention over a deep cache splits well
// across threads) and on what else is using the cores at the time.
import type * as ort from 'onnxruntime-node';

/** Times one forward pass of `ids` on `session` in ms. */
export type StepTimer = (session: ort.InferenceSession, ids: number[]) => Promise<number>;

export interface ThreadChoice {
  decodeOnTwo: boolean;
  prefillOnTwo: boolean;
  /** Median over interleaved pairs of (two-thread time ÷ one-thread time). */
  decodeRatio: number;
  prefillRatio: number;
}

/**
 * A second thread competes with the editor for the same cores: it is taken only when it saves
 * at least this share of the time.
 */
const WIN = 0.9;

/**
 * Times decode steps and prefill chunks on the one- and two-thread sessions in interleaved
 * pairs (one, then two, back to back). A burst of other work on the machine slows both halves
 * of a pair alike, so the median of the per-pair ratios holds still where medians or minimums
 * of each side alone swing with the load.
 */
export async function measureThreadChoice(time: StepTimer, one: ort.InferenceSession, two: ort.InferenceSession): Promise<ThreadChoice> {
  const chunk = new Array<number>(64).fill(0);
  await time(one, [0]);
  await time(two, [0]);
  const ratios = async (ids: number[], pairs: number) => {
    const r: number[] = [];
    for (let i = 0; i < pairs; i++) {
      // Alternate which goes first so neither side always runs on a warmer cache.
      if (i % 2 === 0) {
        const a = await time(one, ids);
        r.push((await time(two, ids)) / a);
      } else {
        const b = await time(two, ids);
        r.push(b / (await time(one, ids)));
      }
    }
    return median(r);
  };
  const decodeRatio = await ratios([0], 16);
  const prefillRatio = await ratios(chunk, 4);
  return { decodeOnTwo: decodeRatio < WIN, prefillOnTwo: prefillRatio < WIN, decodeRatio, prefillRatio };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
