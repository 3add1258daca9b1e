import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { measureThreadChoice, type StepTimer } from '../../../src/engine/threadChoice';

// The sessions only identify which side is timed; the timings are scripted so the rule can be
// checked against a machine whose load comes in bursts (the real timings are benchmarked).
const one = { name: 'one' } as unknown as ort.InferenceSession;
const two = { name: 'two' } as unknown as ort.InferenceSession;

function bursty(twoShare: number, seed: number): StepTimer {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // A burst lasts a few calls, so both halves of a pair usually see the same load.
  let burst = 0;
  let factor = 1;
  return async (session, ids) => {
    if (burst-- <= 0) {
      burst = 2 + Math.floor(random() * 4);
      factor = random() < 0.4 ? 1.5 + 4 * random() : 1;
    }
    const base = ids.length > 1 ? 80 : 8;
    return base * factor * (session === two ? twoShare : 1) * (1 + 0.05 * random());
  };
}

test('a second thread 15% faster is taken under bursts of load, one 3% faster is not', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const faster = await measureThreadChoice(bursty(0.85, seed), one, two);
    assert.ok(faster.decodeOnTwo, `seed ${seed}: decode ratio ${faster.decodeRatio.toFixed(2)}`);
    const same = await measureThreadChoice(bursty(0.97, seed), one, two);
    assert.ok(!same.decodeOnTwo, `seed ${seed}: decode ratio ${same.decodeRatio.toFixed(2)}`);
  }
});
