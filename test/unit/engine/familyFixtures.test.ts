import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { loadModelDir } from '../../../src/engine/modelDir';
import { layerTypes } from '../../../src/engine/rope';
import { SinkCache } from '../../../src/engine/sinkCache';
import { familyFixtures, graphFiles } from './helpers';

// The family fixtures are the real `transformers` classes exported as the Hub serves them
// (tools/export/make_family_fixtures.py); these tests hold the engine to what transformers
// itself computed when it made them.

interface Encoded {
  type: string;
  dims: number[];
  b64: string;
}

function bytesOf(t: Encoded): ArrayBuffer {
  const bytes = Buffer.from(t.b64, 'base64');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

const floats = (t: Encoded) => new Float32Array(bytesOf(t));
const ints = (t: Encoded) => Array.from(new BigInt64Array(bytesOf(t)), Number);

for (const dir of familyFixtures()) {
  const name = basename(dir);
  const model = loadModelDir(dir);

  test(`re-rotation uses the frequencies transformers computed, layer by layer (${name})`, () => {
    const ref = JSON.parse(readFileSync(join(dir, 'rope-reference.json'), 'utf8')) as { inv_freq: Record<string, number[]> };
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const types = layerTypes(config, model.arch.layers);
    for (const [l, rotary] of model.arch.rotaryByLayer.entries()) {
      // transformers names one buffer per layer type (`full_attention_inv_freq`) or one for all.
      const want = ref.inv_freq[`model.rotary_emb.${types[l]}_inv_freq`] ?? ref.inv_freq['model.rotary_emb.inv_freq'];
      assert.ok(want, `no reference frequencies for layer ${l} (${types[l]})`);
      assert.equal(rotary.invFreq.length, want.length, `layer ${l}: rotating pairs`);
      // The reference is float32: agree to its precision.
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(rotary.invFreq[i] - want[i]) <= 1e-6 * want[i], `layer ${l} pair ${i}: ${rotary.invFreq[i]} vs ${want[i]}`);
    }
  });

  for (const file of graphFiles(dir).filter((f) => f !== 'model.onnx')) {
    test(`${file} reproduces the float32 PyTorch model within its rounding (${name})`, async () => {
      const variant = loadModelDir(dir, file);
      const decoder = await Decoder.load(variant.onnxPath, variant.arch, { threads: 1 });
      try {
        const { cases } = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { cases: { inputs: Record<string, Encoded>; outputs: Record<string, Encoded> }[] };
        const cache = new SinkCache(variant.arch, 32);
        let worst = 0;
        let spread = 0;
        for (const c of cases) {
          const ids = ints(c.inputs.input_ids);
          const result = await decoder.run(ids, cache.length, cache, true);
          const want = floats(c.outputs.logits);
          for (let i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(result.logits[i] - want[i]));
            spread = Math.max(spread, Math.abs(want[i]));
          }
          cache.append(ids, result.keys, result.values);
        }
        // float16 weights and activations: a few hundredths of the logits' range; int4 weights of
        // these deliberately sharp random models move logits by a few units but stay finite.
        if (file.includes('fp16')) {
          assert.equal(decoder.kvType, 'float16');
          assert.ok(worst < 0.02 * spread, `logits differ by ${worst} (largest logit ${spread})`);
        } else {
          assert.ok(Number.isFinite(worst) && worst < spread, `logits differ by ${worst} (largest logit ${spread})`);
        }
      } finally {
        await decoder.release();
      }
    });
  }
}

test('the positions a cache may use follow the model: trained length, sliding window, longrope', () => {
  const limits = Object.fromEntries(familyFixtures().map((dir) => [basename(dir), loadModelDir(dir).arch]));
  assert.equal(limits['hf-llama'].maxPositionEmbeddings, 2048);
  assert.equal(limits['hf-llama'].positionLimitReason, undefined);
  // Qwen2 declares no sliding window in use (use_sliding_window false).
  assert.equal(limits['hf-qwen2'].maxPositionEmbeddings, 256);
  assert.equal(limits['hf-mistral'].maxPositionEmbeddings, 1024);
  assert.match(limits['hf-mistral'].positionLimitReason!, /sliding_window of 1024/);
  for (const gemma of ['hf-gemma2', 'hf-gemma3']) {
    assert.equal(limits[gemma].maxPositionEmbeddings, 512);
    assert.match(limits[gemma].positionLimitReason!, /sliding_window of 512.*hide the sinks/);
  }
  // Phi-3 has a sliding window of 2047, but its longrope switches factors at 256 already.
  assert.equal(limits['hf-phi3'].maxPositionEmbeddings, 256);
  assert.match(limits['hf-phi3'].positionLimitReason!, /longrope.*original_max_position_embeddings 256/);
});
