import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../../../src/engine/decoder';
import { maxAbsDiff } from '../../../src/engine/evaluate';
import { loadModelDir } from '../../../src/engine/modelDir';
import { SinkCache } from '../../../src/engine/sinkCache';
import { fixtureModels } from './helpers';

interface Encoded {
  type: string;
  dims: number[];
  b64: string;
}
interface Case {
  name: string;
  inputs: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
}

function decode(t: Encoded): Float32Array | BigInt64Array {
  const bytes = Buffer.from(t.b64, 'base64');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return t.type === 'int64' ? new BigInt64Array(buffer) : new Float32Array(buffer);
}

/** Reference K/V in the decoder's layout `[tokens, kvHeads, headDim]`. */
function slotMajor(t: Encoded, hf: boolean): Float32Array {
  const data = decode(t) as Float32Array;
  if (!hf) return data;
  const [, heads, tokens, dim] = t.dims;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) for (let s = 0; s < tokens; s++) out.set(data.subarray((h * tokens + s) * dim, (h * tokens + s + 1) * dim), (s * heads + h) * dim);
  return out;
}

for (const dir of fixtureModels()) {
  test(`the decoder reproduces the PyTorch reference, cold and over a cache (${dir.split('/').pop()})`, async () => {
    const model = loadModelDir(dir);
    const decoder = await Decoder.load(model.onnxPath, model.arch, { threads: 1 });
    const hf = decoder.kind === 'hf-with-past';
    const { cases } = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { cases: Case[] };
    const cache = new SinkCache(model.arch, 64);
    const keyOut = (l: number) => (hf ? `present.${l}.key` : `key.${l}`);
    const valueOut = (l: number) => (hf ? `present.${l}.value` : `value.${l}`);
    for (const c of cases.filter((x) => x.name === 'prefill' || x.name === 'continue')) {
      const ids = Array.from(decode(c.inputs.input_ids) as BigInt64Array, Number);
      const start = Number((decode(c.inputs.position_ids) as BigInt64Array)[0]);
      assert.equal(start, cache.length, 'the reference continues from the cached prefix');
      const result = await decoder.run(ids, start, cache, true);
      const logits = decode(c.outputs.logits) as Float32Array;
      assert.ok(maxAbsDiff(result.logits, logits, logits.length) < 1e-4, `${c.name} logits`);
      for (let l = 0; l < model.arch.layers; l++) {
        // HF presents hold past + new; the decoder returns only the new tokens.
        const rows = ids.length * model.arch.kvHeads * model.arch.headDim;
        const k = slotMajor(c.outputs[keyOut(l)], hf);
        const v = slotMajor(c.outputs[valueOut(l)], hf);
        assert.ok(maxAbsDiff(result.keys[l], k.subarray(k.length - rows), rows) < 1e-4, `${c.name} key ${l}`);
        assert.ok(maxAbsDiff(result.values[l], v.subarray(v.length - rows), rows) < 1e-4, `${c.name} value ${l}`);
      }
      cache.append(ids, result.keys, result.values);
    }
    await decoder.release();
  });
}
