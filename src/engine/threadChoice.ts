// Whether a second intra-op thread pays off for decode steps and for prefill chunks, measured
// on this machine and this model. It depends on the model (matmul-bound or overhead-bound) and
// on what else is using the cores at the time.
import type * as ort from 'onnxruntime-node';

/** Times one forward pass of `ids` on `session` in ms. */
export type StepTimer = (session: ort.InferenceSession, ids: number[]) => Promise<number>;

export interface ThreadChoice {
  decodeOnTwo: boolean;
  prefillOnTwo: boolean;
}

/** Times decode steps and a prefill chunk on the one- and two-thread sessions, interleaved. */
export async function measureThreadChoice(time: StepTimer, one: ort.InferenceSession, two: ort.InferenceSession): Promise<ThreadChoice> {
  const chunk = new Array<number>(64).fill(0);
  const samples = { decode: [[], []] as number[][], prefill: [[], []] as number[][] };
  await time(one, [0]);
  await time(two, [0]);
  for (let i = 0; i < 8; i++) {
    samples.decode[0].push(await time(one, [0]));
    samples.decode[1].push(await time(two, [0]));
  }
  for (let i = 0; i < 3; i++) {
    samples.prefill[0].push(await time(one, chunk));
    samples.prefill[1].push(await time(two, chunk));
  }
  return { decodeOnTwo: twoWins(samples.decode), prefillOnTwo: twoWins(samples.prefill) };
}

/**
 * A second thread competes with the editor for the same cores: take it only for a clear win,
 * in the typical (median) and the best (min) time alike, so a burst of other work during the
 * measurement does not decide it.
 */
function twoWins([oneMs, twoMs]: number[][]): boolean {
  const clearly = (a: number, b: number) => a < 0.8 * b;
  return clearly(median(twoMs), median(oneMs)) && clearly(Math.min(...twoMs), Math.min(...oneMs));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
