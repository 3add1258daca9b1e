import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sampler, seededRandom } from '../../../src/engine/sampler';

const logits = Float32Array.from([1, 3, 2, 0.5, 2.9, -1]);
const options = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

function counts(sampler: Sampler, n: number, recent: number[] = []): number[] {
  const seen = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) seen[sampler.sample(logits, recent)]++;
  return seen;
}

test('temperature 0 is greedy', () => {
  assert.equal(new Sampler({ ...options, temperature: 0 }).sample(logits, []), 1);
});

test('a seed reproduces the same draws; another seed differs', () => {
  const draw = (seed: number) => {
    const sampler = new Sampler({ ...options, seed });
    return Array.from({ length: 40 }, () => sampler.sample(logits, []));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('top-k keeps only the k best tokens', () => {
  const seen = counts(new Sampler({ ...options, topK: 2, seed: 1 }), 2000);
  assert.deepEqual(seen.map((c) => c > 0), [false, true, false, false, true, false]);
});

test('top-p keeps the smallest set reaching the probability mass', () => {
  // Probabilities ∝ e^x: tokens 1 and 4 hold ~0.63 of the mass, adding token 2 passes 0.8.
  const seen = counts(new Sampler({ ...options, topP: 0.8, seed: 2 }), 3000);
  assert.deepEqual(seen.map((c) => c > 0), [false, true, true, false, true, false]);
});

test('sampling follows the softmax at temperature 1', () => {
  const n = 20000;
  const seen = counts(new Sampler({ ...options, seed: 3 }), n);
  const z = Array.from(logits).reduce((a, x) => a + Math.exp(x), 0);
  for (let i = 0; i < logits.length; i++) assert.ok(Math.abs(seen[i] / n - Math.exp(logits[i]) / z) < 0.02, `token ${i}`);
});

test('repetition penalty pushes seen tokens down', () => {
  const sampler = new Sampler({ ...options, temperature: 0, repetitionPenalty: 2 });
  assert.equal(sampler.sample(logits, [1]), 4);
  assert.equal(sampler.sample(logits, [1, 4]), 2);
});

test('bad sampling options are refused with the value', () => {
  assert.throws(() => new Sampler({ ...options, topP: 0 }), /topP must be in \(0, 1\], got 0/);
  assert.throws(() => new Sampler({ ...options, temperature: -1 }), /temperature must be ≥ 0/);
});

test('top-p over a whole vocabulary draws what a full sort draws, peaked or flat', () => {
  // The nucleus is found among the likely ids when they hold enough mass, else by a full sort:
  // either way the draws must equal those of the plain definition, seed for seed.
  const random = seededRandom(5);
  const peaked = Float32Array.from({ length: 16384 }, () => random() * 4 - 2);
  for (let i = 0; i < 30; i++) peaked[Math.floor(random() * peaked.length)] = 8 + random() * 4;
  const flat = Float32Array.from({ length: 16384 }, () => random() * 0.1);
  for (const scores of [peaked, flat]) {
    const sampler = new Sampler({ ...options, temperature: 0.8, topP: 0.9, seed: 9 });
    const reference = fullSortDraws(scores, 0.8, 0.9, 9, 50);
    assert.deepEqual(Array.from({ length: 50 }, () => sampler.sample(scores, [])), reference);
  }
});

/** Top-p by its definition: sort everything, keep the smallest head reaching p, draw from it. */
function fullSortDraws(scores: Float32Array, temperature: number, topP: number, seed: number, n: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const weights = order.map((id) => Math.exp((scores[id] - scores[order[0]]) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let keep = 0;
  for (let mass = 0; mass < topP; keep++) mass += weights[keep] / total;
  const kept = weights.slice(0, keep).reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, () => {
    let r = random() * kept;
    for (let i = 0; i < keep; i++) if ((r -= weights[i]) <= 0) return order[i];
    return order[keep - 1];
  });
}
