// Writes a GGUF (llama.cpp) file of the very weights of an int4 ONNX export, so that llama.cpp
// can be benchmarked on the same model as Endless.
//   node --import tsx tools/export/onnxToGguf.ts MODEL_DIR OUT.gguf
// MODEL_DIR is a Hugging Face layout (config.json, tokenizer.json, onnx/model.onnx) whose linear
// layers are `MatMulNBits` (4 bits, block 32, symmetric: no zero points) and whose embedding is
// fp32 or 8-bit (`DequantizeLinear`), as tools/train/finish.py writes them.
//
// How exact: a symmetric MatMulNBits block is w = (q − 8)·s with q in 0..15 and an fp32 scale s;
// GGUF Q4_0 is w = (q − 8)·d with the same 32-element blocks and an fp16 d. The 4-bit codes are
// copied unchanged (re-packed: MatMulNBits puts elements 2i, 2i+1 in byte i, Q4_0 puts elements
// i, i+16); only the scale is rounded to fp16 (relative error ≤ 2^-11), which the converter
// measures and prints. Queries and keys are permuted per head (rotate-half → llama.cpp's
// interleaved RoPE pairs), a reordering of whole rows that changes no value. The embedding is
// written as F32 (dequantised exactly from 8 bits). Both runtimes quantise activations to int8
// for these matmuls (ORT's accuracy_level 4, llama.cpp's Q8_0 dot products), so logits agree
// closely, not bit for bit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { halfTable, toHalf } from '../../src/engine/float16';
import { GGML, type GgufTensor, type MetaValue, writeGguf } from './ggufWriter';
import { type OnnxGraph, type OnnxNode, type OnnxTensor, readOnnx } from './onnxProto';

interface Config {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: unknown;
  partial_rotary_factor?: number;
  tie_word_embeddings?: boolean;
  bos_token_id?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
}

export interface ScaleRounding {
  scales: number;
  /** Largest relative error of an fp32 block scale rounded to fp16. */
  maxRelError: number;
  /** Scales that fp16 holds exactly. */
  exact: number;
}

const floats = (t: OnnxTensor) => new Float32Array(t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.byteLength));

function initializer(graph: OnnxGraph, name: string): OnnxTensor {
  const t = graph.initializers.get(name);
  if (!t) throw new Error(`initializer ${name} not found in the graph`);
  return t;
}

/**
 * One MatMulNBits node as Q4_0 rows: B is [N, K/32, 16] (row n = output feature n, its K inputs
 * in blocks of 32), scales [N, K/32]. `rowOrder[i]` is the source row of output row i.
 */
function q4Rows(graph: OnnxGraph, node: OnnxNode, rounding: ScaleRounding, rowOrder?: number[]): { data: Uint8Array; k: number; n: number } {
  const attr = (name: string) => node.attributes.get(name)?.i;
  const k = attr('K')!;
  const n = attr('N')!;
  if (attr('bits') !== 4 || attr('block_size') !== 32) {
    throw new Error(`${node.name}: MatMulNBits with bits=${attr('bits')} block_size=${attr('block_size')}; only 4 bits in blocks of 32 map onto Q4_0`);
  }
  if (node.inputs.length > 3 && node.inputs[3] !== '') {
    throw new Error(`${node.name} has zero points (asymmetric int4): Q4_0 holds only symmetric blocks`);
  }
  const codes = initializer(graph, node.inputs[1]).raw;
  const scales = floats(initializer(graph, node.inputs[2]));
  const blocks = k / 32;
  const out = new Uint8Array(n * blocks * 18);
  const view = new DataView(out.buffer);
  for (let row = 0; row < n; row++) {
    const src = rowOrder ? rowOrder[row] : row;
    for (let b = 0; b < blocks; b++) {
      const s = scales[src * blocks + b];
      const h = toHalf(s);
      const back = halfTable()[h];
      const rel = s === 0 ? 0 : Math.abs(back - s) / Math.abs(s);
      rounding.scales++;
      if (rel === 0) rounding.exact++;
      rounding.maxRelError = Math.max(rounding.maxRelError, rel);
      const at = (row * blocks + b) * 18;
      view.setUint16(at, h, true);
      const from = (src * blocks + b) * 16;
      const nibble = (i: number) => (codes[from + (i >> 1)] >> ((i & 1) * 4)) & 0xf;
      for (let i = 0; i < 16; i++) out[at + 2 + i] = nibble(i) | (nibble(i + 16) << 4);
    }
  }
  return { data: out, k, n };
}

/** Rotate-half rows of each head → interleaved pairs: new row h·d + 2j + s = old row h·d + s·d/2 + j. */
function ropePermutation(heads: number, headDim: number): number[] {
  const order: number[] = [];
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < headDim / 2; j++) for (let s = 0; s < 2; s++) order.push(h * headDim + s * (headDim / 2) + j);
  }
  return order;
}

/** The embedding as fp32 [vocab, hidden]: a plain initializer or int8 through DequantizeLinear. */
function embedding(graph: OnnxGraph, vocab: number, hidden: number): Float32Array {
  const gather = graph.nodes.find((n) => n.opType === 'Gather' && n.inputs[1] === 'input_ids');
  if (!gather) throw new Error('no Gather on input_ids: cannot find the token embedding');
  const table = initializer(graph, gather.inputs[0]);
  if (table.dataType === 1) return floats(table);
  const dq = graph.nodes.find((n) => n.opType === 'DequantizeLinear' && n.inputs[0] === gather.outputs[0]);
  if (!dq || (table.dataType !== 2 && table.dataType !== 3)) {
    throw new Error(`embedding ${table.name} has data type ${table.dataType} and no 8-bit DequantizeLinear after it`);
  }
  const bytes = (t: OnnxTensor) => (t.dataType === 3 ? new Int8Array(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength) : t.raw);
  const scale = floats(initializer(graph, dq.inputs[1]));
  const zero = dq.inputs[2] ? bytes(initializer(graph, dq.inputs[2])) : new Uint8Array(scale.length);
  if (zero.length !== scale.length) throw new Error(`embedding: ${zero.length} zero points for ${scale.length} scales`);
  const q = bytes(table);
  if (q.length !== vocab * hidden) throw new Error(`embedding has ${q.length} values, expected ${vocab}×${hidden}`);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = scale.length === 1 ? 0 : Math.floor(i / hidden); // per-tensor, or per-row (axis 0)
    out[i] = (q[i] - zero[c]) * scale[c];
  }
  return out;
}

function tokenizerMetadata(dir: string, cfg: Config): Record<string, MetaValue> {
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  if (tok.model?.type !== 'BPE' || tok.pre_tokenizer?.type !== 'ByteLevel') {
    throw new Error(`tokenizer ${tok.model?.type}/${tok.pre_tokenizer?.type}: only byte-level BPE (GPT-2 style) is converted`);
  }
  const vocab: Record<string, number> = tok.model.vocab;
  const tokens = new Array<string>(cfg.vocab_size).fill('');
  for (const [piece, id] of Object.entries(vocab)) if (id < cfg.vocab_size) tokens[id] = piece;
  const types = new Array<number>(cfg.vocab_size).fill(1);
  for (const added of tok.added_tokens ?? []) {
    if (added.id >= cfg.vocab_size) continue;
    tokens[added.id] = added.content;
    types[added.id] = added.special ? 3 : 4;
  }
  tokens.forEach((t, i) => {
    if (t === '') {
      tokens[i] = `<unused${i}>`;
      types[i] = 5;
    }
  });
  const merges: string[] = tok.model.merges.map((m: string | string[]) => (Array.isArray(m) ? m.join(' ') : m));
  const eos = Array.isArray(cfg.eos_token_id) ? cfg.eos_token_id[0] : (cfg.eos_token_id ?? 1);
  return {
    'tokenizer.ggml.model': { string: 'gpt2' },
    'tokenizer.ggml.pre': { string: 'gpt-2' },
    'tokenizer.ggml.tokens': { strings: tokens },
    'tokenizer.ggml.token_type': { i32s: types },
    'tokenizer.ggml.merges': { strings: merges },
    'tokenizer.ggml.bos_token_id': { u32: cfg.bos_token_id ?? 0 },
    'tokenizer.ggml.eos_token_id': { u32: eos },
    'tokenizer.ggml.padding_token_id': { u32: cfg.pad_token_id ?? eos },
    'tokenizer.ggml.add_bos_token': { bool: false },
  };
}

export interface ConversionReport {
  tensors: number;
  bytes: number;
  scaleRounding: ScaleRounding;
}

export function convert(modelDir: string, out: string): ConversionReport {
  const cfg: Config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  if (cfg.rope_scaling) throw new Error('rope_scaling is not converted: this converter writes plain RoPE only');
  if ((cfg.partial_rotary_factor ?? 1) !== 1) throw new Error('partial rotary is not converted');
  const headDim = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  if (headDim * cfg.num_attention_heads !== cfg.hidden_size) throw new Error('head_dim × heads must equal hidden_size for llama.cpp\'s llama architecture');
  const graph = readOnnx(readFileSync(join(modelDir, 'onnx/model.onnx')));
  const rounding: ScaleRounding = { scales: 0, maxRelError: 0, exact: 0 };
  // MatMulNBits nodes in graph order: the i-th node of a projection belongs to layer i.
  const byProjection = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) {
    if (n.opType !== 'MatMulNBits') continue;
    const m = /\/(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj|lm_head)(?:_\d+)?\//.exec(n.name);
    if (!m) throw new Error(`MatMulNBits node ${n.name} is not a known projection`);
    byProjection.set(m[1], [...(byProjection.get(m[1]) ?? []), n]);
  }
  const tensors: GgufTensor[] = [];
  const q4 = (name: string, node: OnnxNode, order?: number[]) => {
    const { data, k, n } = q4Rows(graph, node, rounding, order);
    tensors.push({ name, dims: [k, n], type: GGML.Q4_0, data });
  };
  const f32Tensor = (name: string, values: Float32Array, dims: number[]) =>
    tensors.push({ name, dims, type: GGML.F32, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
  const norm = (name: string) => floats(initializer(graph, name));

  f32Tensor('token_embd.weight', embedding(graph, cfg.vocab_size, cfg.hidden_size), [cfg.hidden_size, cfg.vocab_size]);
  const projections: [string, string, number[] | undefined][] = [
    ['q_proj', 'attn_q', ropePermutation(cfg.num_attention_heads, headDim)],
    ['k_proj', 'attn_k', ropePermutation(cfg.num_key_value_heads, headDim)],
    ['v_proj', 'attn_v', undefined],
    ['o_proj', 'attn_output', undefined],
    ['gate_proj', 'ffn_gate', undefined],
    ['up_proj', 'ffn_up', undefined],
    ['down_proj', 'ffn_down', undefined],
  ];
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    f32Tensor(`blk.${layer}.attn_norm.weight`, norm(`model.model.layers.${layer}.input_layernorm.weight`), [cfg.hidden_size]);
    f32Tensor(`blk.${layer}.ffn_norm.weight`, norm(`model.model.layers.${layer}.post_attention_layernorm.weight`), [cfg.hidden_size]);
    for (const [onnxName, ggufName, order] of projections) {
      const node = byProjection.get(onnxName)?.[layer];
      if (!node) throw new Error(`no ${onnxName} MatMulNBits for layer ${layer}`);
      q4(`blk.${layer}.${ggufName}.weight`, node, order);
    }
  }
  f32Tensor('output_norm.weight', norm('model.model.norm.weight'), [cfg.hidden_size]);
  const head = byProjection.get('lm_head')?.[0];
  if (head) q4('output.weight', head);
  else if (!cfg.tie_word_embeddings) throw new Error('no lm_head MatMulNBits and the embeddings are not tied');

  const metadata: Record<string, MetaValue> = {
    'general.architecture': { string: 'llama' },
    'general.name': { string: cfg.vocab_size ? `endless ${modelDir.split('/').filter(Boolean).pop()}` : 'endless' },
    'general.file_type': { u32: 2 }, // mostly Q4_0
    'llama.context_length': { u32: cfg.max_position_embeddings },
    'llama.embedding_length': { u32: cfg.hidden_size },
    'llama.block_count': { u32: cfg.num_hidden_layers },
    'llama.feed_forward_length': { u32: cfg.intermediate_size },
    'llama.attention.head_count': { u32: cfg.num_attention_heads },
    'llama.attention.head_count_kv': { u32: cfg.num_key_value_heads },
    'llama.attention.layer_norm_rms_epsilon': { f32: cfg.rms_norm_eps },
    'llama.rope.freq_base': { f32: cfg.rope_theta },
    'llama.rope.dimension_count': { u32: headDim },
    'llama.vocab_size': { u32: cfg.vocab_size },
    ...tokenizerMetadata(modelDir, cfg),
  };
  writeGguf(out, metadata, tensors);
  return { tensors: tensors.length, bytes: tensors.reduce((a, t) => a + t.data.length, 0), scaleRounding: rounding };
}

if (require.main === module) {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    process.stderr.write('usage: node --import tsx tools/export/onnxToGguf.ts MODEL_DIR OUT.gguf\n');
    process.exitCode = 2;
  } else {
    const r = convert(dir, out);
    const s = r.scaleRounding;
    process.stdout.write(
      `${out}: ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(1)} MiB; int4 codes copied exactly; ` +
        `${s.scales} block scales to fp16: ${s.exact} exact, largest relative error ${s.maxRelError.toExponential(2)}\n`,
    );
  }
}
