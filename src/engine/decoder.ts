// The one place that opens onnxruntime-node sessions and runs forward passes. The graph's
// interface is told apart by input/output names and handled by its own adapter:
//  - streaming (streamingGraph.ts, docs/streaming-onnx.md): the cache's buffers go in as
//    zero-copy views and only the new tokens' K/V come out;
//  - hf-with-past (hfGraph.ts): the Hugging Face / Optimum export with whole presents, which
//    the runtime writes into pre-allocated buffers that become the next step's past.
// Either way the caller sees one shape: new K/V as `[n, kv_heads, head_dim]` per layer.
// The thread count of each phase is measured in threadChoice.ts.
// Must come first: it switches the runtime's telemetry off before the native library loads.
import './runtimeOffline';
import * as ort from 'onnxruntime-node';
import { EngineInputError } from './errors';
import { halvesToFloats } from './float16';
import { checkFiniteLogits, checkGraphContract, checkProbe, describeLoadError, graphKvType } from './graphContract';
import type { DecoderInterface, GraphInterface, KvType, PastKv } from './graphInterface';
import { HfGraph } from './hfGraph';
import type { ModelArch } from './modelDir';
import { StreamingGraph } from './streamingGraph';
import { measureThreadChoice, type ThreadChoice } from './threadChoice';

export type { DecoderInterface, PastKv } from './graphInterface';

export interface StepResult {
  /** `[rows, vocab]`: the last token's logits, or every new token's with `allLogits`. */
  logits: Float32Array;
  rows: number;
  /** Per layer, the new tokens' keys (after RoPE at their positions) `[n, kvHeads, headDim]`. */
  keys: Float32Array[];
  values: Float32Array[];
}

export interface DecoderOptions {
  /** Intra-op threads for single-token decode steps; 0 lets onnxruntime choose. */
  threads: number;
  /**
   * Intra-op threads for multi-token prefill; when it differs from `threads` a second session
   * is opened (the weights are loaded twice), because a session's thread count is fixed.
   */
  prefillThreads?: number;
}

const STREAMING_REQUIRED = ['input_ids', 'position_ids', 'past_key.0', 'past_value.0'];
const HF_REQUIRED = ['input_ids', 'past_key_values.0.key', 'past_key_values.0.value'];
const HF_OPTIONAL = ['attention_mask', 'position_ids', 'use_cache_branch', 'num_logits_to_keep', 'logits_to_keep'];

export class Decoder {
  readonly vocabSize: number;
  private readonly graph: GraphInterface;

  private constructor(
    private session: ort.InferenceSession,
    private prefillSession: ort.InferenceSession,
    readonly kind: DecoderInterface,
    private readonly arch: ModelArch,
    vocabSize: number,
    /** Element type of the graph's K/V at the runtime boundary (the cache is float32 either way). */
    readonly kvType: KvType,
  ) {
    this.vocabSize = vocabSize;
    this.graph = kind === 'streaming' ? new StreamingGraph(arch) : new HfGraph(arch, session.outputNames, kvType);
  }

  static async load(onnxPath: string, arch: ModelArch, options: DecoderOptions): Promise<Decoder> {
    const session = await openSession(onnxPath, options.threads);
    checkGraphContract(session, onnxPath, arch);
    const kind = detectInterface(session, onnxPath);
    checkLayers(session, kind, arch, onnxPath);
    const vocab = logitsWidth(session) ?? arch.vocabSize;
    if (vocab !== arch.vocabSize) {
      throw new EngineInputError(`${onnxPath} returns ${vocab} logits per token but config.json says vocab_size ${arch.vocabSize}`);
    }
    const prefill = options.prefillThreads ?? options.threads;
    const prefillSession = prefill === options.threads ? session : await openSession(onnxPath, prefill);
    const decoder = new Decoder(session, prefillSession, kind, arch, vocab, graphKvType(session, kind));
    decoder.decodeThreads = options.threads;
    decoder.prefillThreads = prefill;
    decoder.path = onnxPath;
    await decoder.probe();
    return decoder;
  }

  /** Whether the graph takes explicit position ids (otherwise positions follow the cache length). */
  get takesPositions(): boolean {
    return this.session.inputNames.includes('position_ids');
  }

  /** The graph file, named in every error about what it returns. */
  path = '';

  /** One step on an empty cache: what the graph actually returns must match config.json. */
  private async probe(): Promise<void> {
    const none = Array.from({ length: this.arch.layers }, () => new Float32Array(0));
    checkProbe(await this.run([0], 0, { keys: none, values: none, length: 0 }, false), this.path, this.arch, 1);
  }

  /** Intra-op threads of the session that runs single-token steps, and of the prefill session. */
  decodeThreads = 0;
  prefillThreads = 0;

  /**
   * With two sessions (one and two threads), keeps for each phase the two-thread session only
   * where it is clearly faster (threadChoice.ts) over `past` cached tokens (the depth the
   * streams run at once their windows fill); a session no phase uses is released.
   */
  async tuneThreads(past: number): Promise<void> {
    if (this.prefillSession === this.session) return;
    const one = this.session;
    const two = this.prefillSession;
    const floats = past * this.arch.kvHeads * this.arch.headDim;
    const cache: PastKv = {
      keys: Array.from({ length: this.arch.layers }, () => new Float32Array(floats)),
      values: Array.from({ length: this.arch.layers }, () => new Float32Array(floats)),
      length: past,
    };
    const time = async (session: ort.InferenceSession, ids: number[]): Promise<number> => {
      this.session = session;
      this.prefillSession = session;
      const t0 = performance.now();
      await this.run(ids, past, cache, false);
      return performance.now() - t0;
    };
    let choice: ThreadChoice;
    try {
      choice = await measureThreadChoice(time, one, two);
    } finally {
      this.session = one;
      this.prefillSession = two;
    }
    const { decodeOnTwo, prefillOnTwo } = choice;
    this.session = decodeOnTwo ? two : one;
    this.prefillSession = prefillOnTwo || decodeOnTwo ? two : one;
    this.decodeThreads = decodeOnTwo ? this.prefillThreads : this.decodeThreads;
    this.prefillThreads = this.prefillSession === two ? this.prefillThreads : this.decodeThreads;
    for (const session of [one, two]) if (session !== this.session && session !== this.prefillSession) await session.release();
  }

  /**
   * Runs `ids` at positions `start, start+1, …` after `past.length` cached tokens. The streaming
   * interface takes positions explicitly; with-past exports derive them from the mask, which
   * matches because a cache slot is always its position.
   */
  async run(ids: ArrayLike<number>, start: number, past: PastKv, allLogits: boolean): Promise<StepResult> {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, BigInt)), [1, n]),
    };
    const positions = new BigInt64Array(n);
    for (let i = 0; i < n; i++) positions[i] = BigInt(start + i);
    const names = this.session.inputNames;
    if (names.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', positions, [1, n]);
    const keep = allLogits ? 0 : 1;
    if (names.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []);
    if (names.includes('logits_to_keep')) feeds.logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []);
    this.graph.feedPast(feeds, past, n, names);

    const fetches = this.graph.fetches(past, n);
    const session = n > 1 ? this.prefillSession : this.session;
    const out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
    const logitsTensor = out.logits;
    const returned = logitsTensor.dims[1];
    const rows = !allLogits && returned > 1 ? 1 : returned;
    const logits = logitRows(logitsTensor, returned - rows, rows, this.vocabSize);
    checkFiniteLogits(logits, this.vocabSize, start + n - rows, this.path);
    const { keys, values } = this.graph.takeNew(out, past, n);
    for (const tensor of Object.values(out)) tensor.dispose();
    return { logits, rows, keys, values };
  }

  async release(): Promise<void> {
    await this.session.release();
    if (this.prefillSession !== this.session) await this.prefillSession.release();
  }
}

async function openSession(onnxPath: string, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: threads > 0 ? threads : undefined,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // The runtime keeps a memory plan per distinct set of input shapes, and every step of an
      // endless stream brings new ones (prompt length × cache length): with plans kept, the
      // process grew by ~85 MB over 450 completions and kept growing; without, it levels off,
      // at the same speed.
      enableMemPattern: false,
    });
  } catch (err) {
    throw describeLoadError(err, onnxPath);
  }
}

function detectInterface(session: ort.InferenceSession, path: string): DecoderInterface {
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  const has = (list: readonly string[], names: string[]) => names.every((n) => list.includes(n));
  if (has(inputs, STREAMING_REQUIRED) && has(outputs, ['logits', 'key.0', 'value.0'])) return 'streaming';
  if (has(inputs, HF_REQUIRED) && has(outputs, ['logits', 'present.0.key', 'present.0.value'])) {
    const unknown = inputs.filter((n) => n !== 'input_ids' && !n.startsWith('past_key_values.') && !HF_OPTIONAL.includes(n));
    if (unknown.length === 0) return 'hf-with-past';
    throw new EngineInputError(`${path} has inputs Endless cannot fill: ${unknown.join(', ')}`);
  }
  throw new EngineInputError(
    `${path} speaks neither ONNX interface Endless knows.\n` +
      `  found inputs: ${inputs.join(', ')}\n  found outputs: ${outputs.join(', ')}\n` +
      `  streaming interface expects inputs ${STREAMING_REQUIRED.join(', ')}, … and outputs logits, key.0, value.0, …\n` +
      `  Hugging Face with-past interface expects inputs ${HF_REQUIRED.join(', ')}, … and outputs logits, present.0.key, present.0.value, …`,
  );
}

function checkLayers(session: ort.InferenceSession, kind: DecoderInterface, arch: ModelArch, path: string): void {
  const prefix = kind === 'streaming' ? 'past_key.' : 'past_key_values.';
  const layers = session.inputNames.filter((n) => n.startsWith(prefix) && (kind === 'streaming' || n.endsWith('.key'))).length;
  if (layers !== arch.layers) {
    throw new EngineInputError(`${path} has ${layers} layers of past keys but config.json says num_hidden_layers ${arch.layers}`);
  }
  const name = kind === 'streaming' ? 'past_key.0' : 'past_key_values.0.key';
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (meta && meta.isTensor) {
    const [kvDim, headDimDim] = kind === 'streaming' ? [meta.shape[2], meta.shape[3]] : [meta.shape[1], meta.shape[3]];
    if ((typeof kvDim === 'number' && kvDim !== arch.kvHeads) || (typeof headDimDim === 'number' && headDimDim !== arch.headDim)) {
      throw new EngineInputError(
        `${path} expects past K/V with ${kvDim} heads of ${headDimDim} dims, but config.json gives ${arch.kvHeads} kv heads of head_dim ${arch.headDim}`,
      );
    }
  }
}

/** Rows `from`..`from + rows` of a logits tensor as float32 (float16 logits are converted). */
function logitRows(tensor: ort.Tensor, from: number, rows: number, vocab: number): Float32Array {
  if (tensor.type === 'float16') {
    const out = new Float32Array(rows * vocab);
    halvesToFloats(tensor.data as Uint16Array, from * vocab, out, 0, rows * vocab);
    return out;
  }
  return (tensor.data as Float32Array).subarray(from * vocab, (from + rows) * vocab);
}

function logitsWidth(session: ort.InferenceSession): number | undefined {
  const meta = session.outputMetadata.find((m) => m.name === 'logits');
  if (!meta || !meta.isTensor) return undefined;
  const last = meta.shape[meta.shape.length - 1];
  return typeof last === 'number' ? last : undefined;
}
