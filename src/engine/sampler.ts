// Picks the next token from logits: repetition penalty, then greedy (temperature 0) or
// temperature + top-k + top-p sampling with a seeded generator, so a seed reproduces a reply.

export interface SamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed?: number;
}

/** mulberry32: small, fast, good enough for sampling, and reproducible from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Sampler {
  private readonly random: () => number;

  constructor(private readonly options: SamplingOptions) {
    if (options.temperature < 0) throw new RangeError(`temperature must be ≥ 0, got ${options.temperature}`);
    if (options.topP <= 0 || options.topP > 1) throw new RangeError(`topP must be in (0, 1], got ${options.topP}`);
    if (options.topK < 0) throw new RangeError(`topK must be ≥ 0, got ${options.topK}`);
    if (options.repetitionPenalty <= 0) throw new RangeError(`repetitionPenalty must be > 0, got ${options.repetitionPenalty}`);
    this.random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** `recent`: tokens the repetition penalty applies to (those in context). */
  sample(logits: Float32Array, recent: ArrayLike<number>): number {
    const scores = Float32Array.from(logits);
    const penalty = this.options.repetitionPenalty;
    if (penalty !== 1) {
      const seen = new Set<number>();
      for (let i = 0; i < recent.length; i++) seen.add(recent[i]);
      for (const id of seen) {
        if (id >= 0 && id < scores.length) scores[id] = scores[id] > 0 ? scores[id] / penalty : scores[id] * penalty;
      }
    }
    if (this.options.temperature === 0) return argmax(scores);
    return this.draw(scores);
  }

  private draw(scores: Float32Array): number {
    const { temperature, topK, topP } = this.options;
    const { order, weights, total } =
      topK > 0 && topK < scores.length ? topKCandidates(scores, topK, temperature) : rankedHead(scores, temperature, topP);
    // Nucleus: the smallest head of the sorted list whose probability reaches topP.
    let keep = order.length;
    if (topP < 1) {
      let mass = 0;
      for (let i = 0; i < order.length; i++) {
        mass += weights[i] / total;
        if (mass >= topP) {
          keep = i + 1;
          break;
        }
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += weights[i];
    let r = this.random() * kept;
    for (let i = 0; i < keep; i++) {
      r -= weights[i];
      if (r <= 0) return order[i];
    }
    return order[keep - 1];
  }
}

/**
 * Ids best first, their weights (exp of the score over the best one's, at the temperature) and
 * the total weight the nucleus is measured against.
 */
interface Candidates {
  order: number[];
  weights: number[];
  total: number;
}

function weigh(scores: Float32Array, order: number[], max: number, temperature: number): number[] {
  return order.map((id) => Math.exp((scores[id] - max) / temperature));
}

function topKCandidates(scores: Float32Array, k: number, temperature: number): Candidates {
  const order = topKIndices(scores, k);
  const weights = weigh(scores, order, scores[order[0]], temperature);
  return { order, weights, total: weights.reduce((a, b) => a + b, 0) };
}

/**
 * The whole vocabulary's candidates, best first, as far as the nucleus can reach. Sorting all
 * of it for every token costs far more than the draw: when the ids above a small probability
 * already hold `topP` of the mass, the nucleus lies among them, so only they are sorted (the
 * same head, in the same order, as a full sort).
 */
function rankedHead(scores: Float32Array, temperature: number, topP: number): Candidates {
  const max = scores[argmax(scores)];
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += Math.exp((scores[i] - max) / temperature);
  const byScore = (a: number, b: number) => scores[b] - scores[a];
  if (topP < 1) {
    // p >= NUCLEUS_FLOOR  <=>  score >= max + temperature * ln(NUCLEUS_FLOOR * total)
    const cut = max + temperature * Math.log(NUCLEUS_FLOOR * total);
    const head: number[] = [];
    for (let i = 0; i < scores.length; i++) if (scores[i] >= cut) head.push(i);
    const order = head.sort(byScore);
    const weights = weigh(scores, order, max, temperature);
    if (weights.reduce((a, b) => a + b, 0) >= topP * total) return { order, weights, total };
  }
  const order = Array.from(scores.keys()).sort(byScore);
  return { order, weights: weigh(scores, order, max, temperature), total };
}

const NUCLEUS_FLOOR = 1e-4;

/** log Σ exp(values[i]) over [start, end), computed without overflow: the normaliser of log-probabilities. */
export function logSumExp(values: ArrayLike<number>, start = 0, end = values.length): number {
  let max = -Infinity;
  for (let i = start; i < end; i++) if (values[i] > max) max = values[i];
  let total = 0;
  for (let i = start; i < end; i++) total += Math.exp(values[i] - max);
  return max + Math.log(total);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The `k` highest-scoring ids, best first, without sorting the whole vocabulary. */
export function topKIndices(scores: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let id = 0; id < scores.length; id++) {
    const s = scores[id];
    if (top.length === k && s <= scores[top[k - 1]]) continue;
    let at = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push(id);
    while (at > 0 && scores[top[at - 1]] < s) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = id;
  }
  return top;
}
