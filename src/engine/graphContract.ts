// The contract between an ONNX graph and config.json, checked when a model loads and on every
// step, so that a broken or hostile graph fails with a message naming the file, what was
// expected and what was found, instead of a runtime error from deep inside or a silently
// corrupted cache:
//  - every input is one the engine can fill, with the element type it feeds;
//  - every output the interface needs is there, with the heads and head size of config.json;
//  - K/V are float32, or float16 throughout for the with-past interface (the Hub's fp16 and
//    q4f16 exports); logits float32 or float16;
//  - one probe step returns logits of the vocabulary's width and K/V of the configured size;
//  - logits are finite (NaN or ±Infinity stops generation instead of sampling garbage);
//  - a missing external-data file is named.
import type { InferenceSession } from 'onnxruntime-node';
import { EngineInputError } from './errors';
import type { KvType } from './graphInterface';
import type { ModelArch } from './modelDir';

/** What the contract reads of a session. */
export type GraphSignature = Pick<InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>;

type Interface = 'streaming' | 'hf-with-past';

/** Inputs each interface may have besides the per-layer past, and the type the engine feeds them. */
const FILLED: Record<Interface, Record<string, string>> = {
  streaming: { input_ids: 'int64', position_ids: 'int64', num_logits_to_keep: 'int64', logits_to_keep: 'int64' },
  'hf-with-past': {
    input_ids: 'int64',
    attention_mask: 'int64',
    position_ids: 'int64',
    use_cache_branch: 'bool',
    num_logits_to_keep: 'int64',
    logits_to_keep: 'int64',
  },
};

function pastNames(kind: Interface, layers: number): string[] {
  const names: string[] = [];
  for (let l = 0; l < layers; l++) {
    if (kind === 'streaming') names.push(`past_key.${l}`, `past_value.${l}`);
    else names.push(`past_key_values.${l}.key`, `past_key_values.${l}.value`);
  }
  return names;
}

function kvOutputNames(kind: Interface, layers: number): string[] {
  const names: string[] = [];
  for (let l = 0; l < layers; l++) {
    if (kind === 'streaming') names.push(`key.${l}`, `value.${l}`);
    else names.push(`present.${l}.key`, `present.${l}.value`);
  }
  return names;
}

/**
 * Checks names, types and the shapes the graph declares. A graph that speaks neither interface
 * is left to the interface detection, whose message lists both.
 */
export function checkGraphContract(graph: GraphSignature, path: string, arch: ModelArch): void {
  const kind: Interface | null = graph.inputNames.includes('past_key.0')
    ? 'streaming'
    : graph.inputNames.includes('past_key_values.0.key')
      ? 'hf-with-past'
      : null;
  if (!kind) return;
  const config = 'config.json';
  const prefix = kind === 'streaming' ? 'past_key.' : 'past_key_values.';
  const layers = graph.inputNames.filter((n) => n.startsWith(prefix) && (kind === 'streaming' || n.endsWith('.key'))).length;
  if (layers !== arch.layers) {
    throw new EngineInputError(`${path} has ${layers} layers of past keys but ${config} says num_hidden_layers ${arch.layers}`);
  }
  const past = new Set(pastNames(kind, arch.layers));
  const filled = FILLED[kind];
  const extra = graph.inputNames.filter((n) => !past.has(n) && !(n in filled));
  if (extra.length > 0) {
    throw new EngineInputError(
      `${path} has ${extra.length === 1 ? 'an input' : 'inputs'} Endless cannot fill: ${extra.join(', ')}.\n` +
        `  expected only: ${[...Object.keys(filled), `${[...past].slice(0, 2).join(', ')} … (a pair per layer; ${config} says ${arch.layers})`].join(', ')}\n` +
        `  found inputs: ${graph.inputNames.join(', ')}`,
    );
  }
  const kvType = graphKvType(graph, kind);
  for (const meta of graph.inputMetadata) {
    const want = past.has(meta.name) ? kvType : filled[meta.name];
    if (meta.isTensor && want && meta.type !== want) {
      const what = past.has(meta.name) ? `the first layer's past keys are ${kvType}, so Endless feeds every past K/V as ${kvType}` : `Endless feeds ${want}`;
      throw new EngineInputError(`${path}: input ${meta.name} is ${meta.type}, but ${what}; re-export the graph with ${want} ${meta.name}`);
    }
  }
  const outputs = new Set(graph.outputNames);
  const missing = ['logits', ...kvOutputNames(kind, arch.layers)].filter((n) => !outputs.has(n));
  if (missing.length > 0) {
    throw new EngineInputError(
      `${path} lacks the output${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: the ${kind} interface needs logits and ` +
        `${kvOutputNames(kind, 1).join(', ')} … for each layer (${config} says ${arch.layers}).\n  found outputs: ${graph.outputNames.join(', ')}`,
    );
  }
  for (const meta of graph.outputMetadata) {
    if (!meta.isTensor) continue;
    const isKv = meta.name !== 'logits' && kvOutputNames(kind, arch.layers).includes(meta.name);
    if (isKv && meta.type !== kvType) {
      throw new EngineInputError(`${path}: output ${meta.name} is ${meta.type}, but its past K/V inputs are ${kvType}; present K/V must match them`);
    }
    if (meta.name === 'logits' && !LOGIT_TYPES.includes(meta.type)) {
      throw new EngineInputError(`${path}: output logits is ${meta.type}; Endless reads float32 or float16 logits`);
    }
    if (meta.name === 'logits') {
      const width = meta.shape[meta.shape.length - 1];
      if (typeof width === 'number' && width !== arch.vocabSize) {
        throw new EngineInputError(`${path} returns ${width} logits per token but ${config} says vocab_size ${arch.vocabSize}`);
      }
    }
    if (isKv && meta.shape.length > 0) {
      const [heads, dim] = kind === 'streaming' ? [meta.shape[2], meta.shape[3]] : [meta.shape[1], meta.shape[3]];
      checkKvShape(path, meta.name, arch, typeof heads === 'number' ? heads : undefined, typeof dim === 'number' ? dim : undefined, meta.shape);
    }
  }
}

const LOGIT_TYPES: readonly string[] = ['float32', 'float16'];

/**
 * The element type of the graph's K/V, read from its first past key: float32 for both
 * interfaces, float16 also for the with-past interface. Anything else is refused by name.
 */
export function graphKvType(graph: GraphSignature, kind: Interface): KvType {
  const name = kind === 'streaming' ? 'past_key.0' : 'past_key_values.0.key';
  const meta = graph.inputMetadata.find((m) => m.name === name);
  const type = meta && meta.isTensor ? meta.type : 'float32';
  if (type === 'float32' || (type === 'float16' && kind === 'hf-with-past')) return type;
  const path = kind === 'streaming' ? 'the streaming interface takes float32 K/V only' : 'Endless runs float32 or float16 K/V';
  throw new EngineInputError(
    `the graph keeps its KV cache in ${type} (input ${name}); ${path}. Use the model's fp32, fp16, q4 or q4f16 ONNX file instead`,
  );
}

function checkKvShape(path: string, name: string, arch: ModelArch, heads: number | undefined, dim: number | undefined, shape: readonly unknown[]): void {
  if ((heads !== undefined && heads !== arch.kvHeads) || (dim !== undefined && dim !== arch.headDim)) {
    throw new EngineInputError(
      `${path}: output ${name} has ${heads ?? '?'} heads of ${dim ?? '?'} dims (shape [${shape.join(', ')}]), ` +
        `but config.json says ${arch.kvHeads} kv heads of head_dim ${arch.headDim}: its keys would corrupt the cache`,
    );
  }
}

/** What a probe step returned: the decoder's step result. */
export interface ProbeResult {
  logits: Float32Array;
  rows: number;
  keys: Float32Array[];
  values: Float32Array[];
}

/**
 * Checks the sizes a first step actually returned (declared shapes may be symbolic): one row of
 * `vocab` logits and, per layer, one token's K/V of kvHeads × headDim floats.
 */
export function checkProbe(result: ProbeResult, path: string, arch: ModelArch, tokens: number): void {
  if (result.logits.length !== result.rows * arch.vocabSize) {
    throw new EngineInputError(
      `${path} returned ${result.logits.length / Math.max(1, result.rows)} logits per token in a first step, but config.json says vocab_size ${arch.vocabSize}`,
    );
  }
  const floats = tokens * arch.kvHeads * arch.headDim;
  for (let l = 0; l < arch.layers; l++) {
    for (const [what, data] of [['keys', result.keys[l]], ['values', result.values[l]]] as const) {
      if (data.length !== floats) {
        const perHead = data.length / (tokens * arch.kvHeads);
        throw new EngineInputError(
          `${path} returned ${data.length} floats of layer-${l} ${what} for ${tokens} token${tokens > 1 ? 's' : ''} in a first step ` +
            `(a head size of ${Number.isInteger(perHead) ? perHead : perHead.toFixed(2)}), but config.json says ${arch.kvHeads} kv heads of head_dim ${arch.headDim} (${floats} floats): ` +
            `its keys would corrupt the cache`,
        );
      }
    }
  }
}

/**
 * Throws when a logits row holds NaN or ±Infinity. `firstPosition` is the position of the
 * first row returned. Costs one pass over what the sampler reads anyway.
 */
export function checkFiniteLogits(logits: Float32Array, vocab: number, firstPosition: number, path: string): void {
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    if (x - x !== 0) {
      const position = firstPosition + Math.floor(i / vocab);
      throw new EngineInputError(
        `${path} returned non-finite logits (${x}) for the token at position ${position}: the graph or its weights are broken ` +
          `(e.g. an overflow in reduced precision or a damaged file); generation stopped. Expected finite numbers.`,
      );
    }
  }
}

/** The runtime's load error, with a missing external-data file named. */
export function describeLoadError(err: unknown, path: string): EngineInputError {
  const message = err instanceof Error ? err.message : String(err);
  const external = /External data path does not exist: "?([^"\n]+)"?/.exec(message);
  if (external) {
    return new EngineInputError(
      `${path} keeps its weights in an external data file, and that file is missing: expected ${external[1]} beside the graph. ` +
        `Copy it from where the model came from.`,
    );
  }
  return new EngineInputError(`onnxruntime cannot load ${path}: ${message}`);
}
