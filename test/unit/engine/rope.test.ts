import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Rotary, rotaryFromConfig, rotaryLayout, rotateKeys } from '../../../src/engine/rope';

/** Float64 RoPE (rotate-half, partial) of a pre-RoPE key at position `p`. */
function ropeF64(k: Float64Array, p: number, rotary: Rotary): Float64Array {
  const out = Float64Array.from(k);
  const half = rotary.rotaryDim / 2;
  for (let i = 0; i < half; i++) {
    const a = p * rotary.invFreq[i];
    out[i] = k[i] * Math.cos(a) - k[i + half] * Math.sin(a);
    out[i + half] = k[i + half] * Math.cos(a) + k[i] * Math.sin(a);
  }
  return out;
}

function randomKeys(seed: number, n: number): Float64Array {
  let s = seed;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 4 - 2;
  }
  return out;
}

const CONFIGS = [
  { name: 'full rotary, theta 1e4', headDim: 64, config: { rope_theta: 10000 } },
  { name: 'partial 0.5, llama3 scaling', headDim: 32, config: { rope_theta: 500000, partial_rotary_factor: 0.5, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } } },
  { name: 'partial 0.75, linear scaling', headDim: 16, config: { rope_theta: 100000, partial_rotary_factor: 0.75, rope_scaling: { rope_type: 'linear', factor: 2 } } },
  { name: 'rope_parameters (newer transformers)', headDim: 32, config: { rope_parameters: { rope_type: 'default', rope_theta: 1e6 } } },
];

for (const { name, headDim, config } of CONFIGS) {
  test(`delta rotation matches a float64 reference: ${name}`, () => {
    const rotary = rotaryFromConfig(config, headDim, 'config.json');
    const kvHeads = 2;
    const slots = 6;
    const evicted = 1037;
    const start = 4;
    // Keys cached at positions start+evicted … ; after eviction they sit at start … .
    const raw = randomKeys(7, slots * kvHeads * headDim);
    const cached = new Float32Array(slots * kvHeads * headDim);
    for (let s = 0; s < slots; s++) {
      for (let h = 0; h < kvHeads; h++) {
        const at = (s * kvHeads + h) * headDim;
        const position = s < start ? s : s + evicted;
        cached.set(ropeF64(raw.subarray(at, at + headDim), position, rotary), at);
      }
    }
    rotateKeys(cached, start, slots - start, kvHeads, headDim, rotary, -evicted);
    let worst = 0;
    for (let s = 0; s < slots; s++) {
      for (let h = 0; h < kvHeads; h++) {
        const at = (s * kvHeads + h) * headDim;
        const want = ropeF64(raw.subarray(at, at + headDim), s, rotary);
        for (let i = 0; i < headDim; i++) worst = Math.max(worst, Math.abs(cached[at + i] - want[i]));
      }
    }
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  });
}

test('partial rotary leaves the non-rotating dimensions untouched', () => {
  const rotary = rotaryFromConfig({ rope_theta: 10000, partial_rotary_factor: 0.25 }, 32, 'config.json');
  assert.equal(rotary.rotaryDim, 8);
  const keys = Float32Array.from({ length: 32 }, (_, i) => i + 1);
  rotateKeys(keys, 0, 1, 1, 32, rotary, -100);
  for (let i = 8; i < 32; i++) assert.equal(keys[i], i + 1);
  assert.notEqual(keys[0], 1);
});

test('llama3 scaling keeps high frequencies, slows low ones by the factor, blends between', () => {
  const plain = rotaryFromConfig({ rope_theta: 500000 }, 32, 'c');
  const scaled = rotaryFromConfig(
    { rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } },
    32,
    'c',
  );
  for (let i = 0; i < plain.invFreq.length; i++) {
    const wavelen = (2 * Math.PI) / plain.invFreq[i];
    const ratio = scaled.invFreq[i] / plain.invFreq[i];
    if (wavelen < 64 / 4) assert.equal(ratio, 1);
    else if (wavelen > 64) assert.ok(Math.abs(ratio - 1 / 8) < 1e-12);
    else assert.ok(ratio > 1 / 8 && ratio < 1);
  }
});

test('unsupported rotary styles are refused with the reason', () => {
  assert.throws(
    () => rotaryFromConfig({ rope_scaling: { rope_type: 'xpos', factor: 4 } }, 64, 'x/config.json'),
    /rope type "xpos" in x\/config.json is not supported: cached keys could not be re-rotated .*supported: default, linear, llama3, dynamic, yarn, longrope/,
  );
  assert.throws(
    () => rotaryFromConfig({ rope_scaling: { rope_type: 'longrope', short_factor: [1, 2] } }, 16, 'config.json'),
    /"longrope" in config.json needs "short_factor": 8 positive numbers/,
  );
  assert.throws(() => rotaryFromConfig({ rope_interleaved: true }, 64, 'config.json'), /interleaved/);
  assert.throws(() => rotaryFromConfig({ partial_rotary_factor: 0.01 }, 64, 'config.json'), /rotary dimensions/);
  assert.throws(() => rotaryFromConfig({ rope_scaling: { rope_type: 'linear' } }, 64, 'config.json'), /needs a positive "factor"/);
});

test('yarn keeps fast dimensions, interpolates slow ones by max_position_embeddings / original, ramps between', () => {
  const plain = rotaryFromConfig({ rope_theta: 1e6 }, 64, 'c');
  const yarn = rotaryFromConfig(
    { rope_theta: 1e6, max_position_embeddings: 32768, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 4096 } },
    64,
    'c',
  );
  const ratios = Array.from(yarn.invFreq, (f, i) => f / plain.invFreq[i]);
  assert.equal(ratios[0], 1);
  assert.ok(Math.abs(ratios[ratios.length - 1] - 1 / 8) < 1e-12, `slowest pair: ${ratios[ratios.length - 1]}`);
  for (let i = 1; i < ratios.length; i++) assert.ok(ratios[i] <= ratios[i - 1] + 1e-15);
});

test('longrope divides by the short factors; su is its older name', () => {
  const short = [1, 1.5, 2, 4];
  for (const type of ['longrope', 'su']) {
    const r = rotaryFromConfig({ rope_theta: 10000, rope_scaling: { type, short_factor: short, long_factor: [9, 9, 9, 9] } }, 8, 'c');
    const plain = rotaryFromConfig({ rope_theta: 10000 }, 8, 'c');
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(r.invFreq[i] - plain.invFreq[i] / short[i]) < 1e-15);
  }
});

test('older Gemma 3 configs: local layers at rope_local_base_freq, every sixth layer global with the scaling', () => {
  const layout = rotaryLayout(
    { rope_theta: 1e6, rope_local_base_freq: 10000, rope_scaling: { rope_type: 'linear', factor: 8 }, sliding_window: 512, sliding_window_pattern: 6 },
    16,
    12,
    'c',
  );
  const local = rotaryFromConfig({ rope_theta: 10000 }, 16, 'c');
  const global = rotaryFromConfig({ rope_theta: 1e6, rope_scaling: { rope_type: 'linear', factor: 8 } }, 16, 'c');
  for (const [l, r] of layout.byLayer.entries()) assert.deepEqual(r.invFreq, (l + 1) % 6 === 0 ? global.invFreq : local.invFreq, `layer ${l}`);
  assert.throws(() => rotaryLayout({ layer_types: ['full_attention', 'chunked_attention'], rope_parameters: { full_attention: { rope_type: 'default' }, odd: 1 } }, 16, 2, 'c'), /no entry for layer type "chunked_attention"/);
});

test('layers without rotary embedding (no_rope_layers 0) keep their cached keys as they are', () => {
  const layout = rotaryLayout({ rope_theta: 10000, no_rope_layers: [1, 1, 1, 0] }, 16, 4, 'c');
  assert.deepEqual(layout.byLayer.map((r) => r.rotaryDim), [16, 16, 16, 0]);
  const keys = Float32Array.from({ length: 16 }, (_, i) => i + 1);
  rotateKeys(keys, 0, 1, 1, 16, layout.byLayer[3], -50);
  assert.deepEqual(Array.from(keys), Array.from({ length: 16 }, (_, i) => i + 1));
});
