// Rotary position embedding (rotate-half convention of Llama-family models in `transformers`):
// the frequencies a model uses, and the delta rotation that moves cached keys to new positions.
// Keys are cached after RoPE, so when `d` positions are evicted in front of a key we apply
// R(-d): R(p-d)·k = R(-d)·R(p)·k. Only the first `rotaryDim` dimensions of each head rotate
// (partial rotary); dimension i pairs with i + rotaryDim/2.
import { EngineInputError } from './errors';
import { type JsonObject, optionalNumber } from './jsonFile';

export interface Rotary {
  /** Dimensions of each head that rotate (even, ≤ head_dim; 0 in a layer without rotary embedding). */
  rotaryDim: number;
  /** Angular frequency of each rotating pair, length rotaryDim / 2. */
  invFreq: Float64Array;
}

const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3', 'dynamic', 'yarn', 'longrope'];

/** How a model's rotary embedding is laid out over its layers, and the positions it holds for. */
export interface RotaryLayout {
  /** One per layer (Gemma 3 rotates its local and global layers at different frequencies). */
  byLayer: Rotary[];
  /** Set when the rope type itself bounds the positions (longrope switches factors past it). */
  limit?: { positions: number; reason: string };
}

/**
 * The rotary layout of every layer. Per-layer frequencies come from `rope_parameters` keyed by
 * layer type (`full_attention`, `sliding_attention`, with `layer_types` naming each layer's),
 * or from the older Gemma 3 fields (`rope_local_base_freq` for the sliding layers).
 */
export function rotaryLayout(config: JsonObject, headDim: number, layers: number, file: string): RotaryLayout {
  const params = objectField(config, 'rope_parameters');
  const types = layerTypes(config, layers);
  let byLayer: Rotary[];
  if (params && isPerLayerType(params)) {
    const byType = new Map<string, Rotary>();
    byLayer = types.map((type) => {
      const p = objectField(params, type);
      if (!p) throw new EngineInputError(`rope_parameters in ${file} has no entry for layer type "${type}"`);
      if (!byType.has(type)) byType.set(type, rotaryFromConfig({ ...config, rope_parameters: p }, headDim, file));
      return byType.get(type)!;
    });
  } else {
    const global = rotaryFromConfig(config, headDim, file);
    const localTheta = optionalNumber(config, 'rope_local_base_freq', file);
    const local =
      localTheta === undefined
        ? global
        : rotaryFromConfig({ rope_theta: localTheta, partial_rotary_factor: config.partial_rotary_factor }, headDim, file);
    byLayer = types.map((type) => (type === 'sliding_attention' ? local : global));
  }
  return { byLayer: withoutRope(config, byLayer), limit: longropeLimit(config, params, file) };
}

/** Layers that use no rotary embedding (SmolLM3's `no_rope_layers`, 0 = none): nothing to re-rotate. */
function withoutRope(config: JsonObject, byLayer: Rotary[]): Rotary[] {
  const flags = config.no_rope_layers;
  if (!Array.isArray(flags) || flags.length !== byLayer.length) return byLayer;
  return byLayer.map((rotary, l) => (flags[l] === 0 ? NO_ROTATION : rotary));
}

const NO_ROTATION: Rotary = { rotaryDim: 0, invFreq: new Float64Array(0) };

/**
 * Each layer's attention type: `layer_types` when given, else Gemma 3's `sliding_window_pattern`
 * (every n-th layer global), else all full attention.
 */
export function layerTypes(config: JsonObject, layers: number): string[] {
  if (Array.isArray(config.layer_types) && config.layer_types.length === layers) return config.layer_types.map(String);
  const pattern = config.sliding_window_pattern ?? config._sliding_window_pattern;
  if (typeof pattern === 'number' && pattern > 1 && typeof config.sliding_window === 'number') {
    return Array.from({ length: layers }, (_, i) => ((i + 1) % pattern === 0 ? 'full_attention' : 'sliding_attention'));
  }
  return Array.from({ length: layers }, () => 'full_attention');
}

function isPerLayerType(params: JsonObject): boolean {
  return Object.values(params).some((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
}

function objectField(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/**
 * Reads the rotary layout from config.json. `rope_parameters` (newer `transformers`) and the
 * older top-level `rope_theta` / `rope_scaling` / `partial_rotary_factor` are both accepted.
 * `dynamic` NTK scaling only changes frequencies beyond the training length; slot positions
 * never exceed the cache capacity, which the engine keeps within it, so it reads as default.
 */
export function rotaryFromConfig(config: JsonObject, headDim: number, file: string): Rotary {
  if (config.rope_interleaved === true || config.rotary_interleaved === true) {
    throw new EngineInputError(
      `${file} declares interleaved rotary embeddings; Endless supports the rotate-half convention only`,
    );
  }
  const params = objectField(config, 'rope_parameters') ?? {};
  const theta = optionalNumber(params, 'rope_theta', file) ?? optionalNumber(config, 'rope_theta', file) ?? 10000;
  const partial =
    optionalNumber(params, 'partial_rotary_factor', file) ?? optionalNumber(config, 'partial_rotary_factor', file) ?? 1;
  if (!(theta > 0)) throw new EngineInputError(`rope_theta in ${file} must be positive, found ${theta}`);
  if (!(partial > 0 && partial <= 1)) {
    throw new EngineInputError(`partial_rotary_factor in ${file} must be in (0, 1], found ${partial}`);
  }
  const rotaryDim = Math.floor(headDim * partial);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new EngineInputError(
      `head_dim ${headDim} × partial_rotary_factor ${partial} gives ${rotaryDim} rotary dimensions in ${file}; it must be even and at least 2`,
    );
  }
  const half = rotaryDim / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / rotaryDim);

  const scaling = pickScaling(config, params);
  if (scaling) applyScaling(invFreq, scaling, { theta, rotaryDim, maxPositions: optionalNumber(config, 'max_position_embeddings', file) }, file);
  return { rotaryDim, invFreq };
}

function pickScaling(config: JsonObject, params: JsonObject): JsonObject | undefined {
  const s = objectField(config, 'rope_scaling');
  if (s) return s;
  if (typeof params.rope_type === 'string') return params;
  return undefined;
}

/** The rope type of a scaling block; `su`, the first Phi-3 configs' name for longrope, reads as it. */
function ropeType(scaling: JsonObject): string {
  const type = String(scaling.rope_type ?? scaling.type ?? 'default');
  return type === 'su' ? 'longrope' : type;
}

interface Base {
  theta: number;
  rotaryDim: number;
  maxPositions: number | undefined;
}

function applyScaling(invFreq: Float64Array, scaling: JsonObject, base: Base, file: string): void {
  const type = ropeType(scaling);
  if (!SUPPORTED_ROPE_TYPES.includes(type)) {
    throw new EngineInputError(
      `rope type "${type}" in ${file} is not supported: cached keys could not be re-rotated to the frequencies the model uses ` +
        `(supported: ${SUPPORTED_ROPE_TYPES.join(', ')}). Use a model whose rope_scaling is one of these, or none.`,
    );
  }
  if (type === 'default' || type === 'dynamic') return;
  if (type === 'longrope') return applyLongrope(invFreq, scaling, file);
  const factor = optionalNumber(scaling, 'factor', file);
  if (factor === undefined || !(factor > 0)) {
    throw new EngineInputError(`rope_scaling "${type}" in ${file} needs a positive "factor"`);
  }
  if (type === 'linear') {
    for (let i = 0; i < invFreq.length; i++) invFreq[i] /= factor;
    return;
  }
  if (type === 'yarn') return applyYarn(invFreq, scaling, factor, base, file);
  // llama3: long wavelengths are slowed by `factor`, short ones kept, the band between blended.
  const low = optionalNumber(scaling, 'low_freq_factor', file) ?? 1;
  const high = optionalNumber(scaling, 'high_freq_factor', file) ?? 4;
  const original = optionalNumber(scaling, 'original_max_position_embeddings', file) ?? 8192;
  const lowWavelen = original / low;
  const highWavelen = original / high;
  for (let i = 0; i < invFreq.length; i++) {
    const wavelen = (2 * Math.PI) / invFreq[i];
    if (wavelen < highWavelen) continue;
    if (wavelen > lowWavelen) {
      invFreq[i] /= factor;
      continue;
    }
    const smooth = (original / wavelen - low) / (high - low);
    invFreq[i] = (1 - smooth) * (invFreq[i] / factor) + smooth * invFreq[i];
  }
}

/**
 * YaRN: dimensions that turn many times within the original context keep their frequency,
 * those that turn less than once are interpolated by `factor`, a linear ramp blends between.
 * Its attention factor scales cos and sin alike, which a rotation by a difference preserves.
 * As in `transformers`, a given original length sets the factor to max_position_embeddings / original.
 */
function applyYarn(invFreq: Float64Array, scaling: JsonObject, factorIn: number, base: Base, file: string): void {
  const given = optionalNumber(scaling, 'original_max_position_embeddings', file);
  const original = given ?? base.maxPositions;
  if (original === undefined) throw new EngineInputError(`rope_scaling "yarn" in ${file} needs original_max_position_embeddings or max_position_embeddings`);
  const factor = given !== undefined && base.maxPositions !== undefined ? base.maxPositions / given : factorIn;
  const betaFast = optionalNumber(scaling, 'beta_fast', file) ?? 32;
  const betaSlow = optionalNumber(scaling, 'beta_slow', file) ?? 1;
  const truncate = scaling.truncate !== false;
  const dim = base.rotaryDim;
  const correction = (rotations: number) => (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base.theta));
  let low = correction(betaFast);
  let high = correction(betaSlow);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  for (let i = 0; i < invFreq.length; i++) {
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
    const keep = 1 - ramp;
    invFreq[i] = (invFreq[i] / factor) * (1 - keep) + invFreq[i] * keep;
  }
}

/**
 * LongRoPE (Phi-3.5): each frequency is divided by its `short_factor` while the sequence stays
 * within original_max_position_embeddings, by its `long_factor` beyond. The engine keeps its
 * cache within the original length (longropeLimit), so the short factors always apply.
 */
function applyLongrope(invFreq: Float64Array, scaling: JsonObject, file: string): void {
  const factors = scaling.short_factor;
  if (!Array.isArray(factors) || factors.length !== invFreq.length || !factors.every((f) => typeof f === 'number' && f > 0)) {
    throw new EngineInputError(
      `rope_scaling "longrope" in ${file} needs "short_factor": ${invFreq.length} positive numbers (one per rotating pair)`,
    );
  }
  for (let i = 0; i < invFreq.length; i++) invFreq[i] /= factors[i] as number;
}

function longropeLimit(config: JsonObject, params: JsonObject | undefined, file: string): RotaryLayout['limit'] {
  const scaling = pickScaling(config, params ?? {});
  if (!scaling || ropeType(scaling) !== 'longrope') return undefined;
  const original =
    optionalNumber(scaling, 'original_max_position_embeddings', file) ?? optionalNumber(config, 'original_max_position_embeddings', file);
  if (original === undefined) return undefined;
  return {
    positions: original,
    reason: `its longrope scaling switches to other frequencies past original_max_position_embeddings ${original}, which cached keys cannot follow`,
  };
}

/**
 * Rotates `count` cached keys starting at token slot `start` by `shift` positions (negative
 * to move them towards slot 0). `keys` is laid out [slots, kvHeads, headDim].
 */
export function rotateKeys(
  keys: Float32Array,
  start: number,
  count: number,
  kvHeads: number,
  headDim: number,
  rotary: Rotary,
  shift: number,
): void {
  const half = rotary.rotaryDim / 2;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const angle = shift * rotary.invFreq[i];
    cos[i] = Math.cos(angle);
    sin[i] = Math.sin(angle);
  }
  const rows = count * kvHeads;
  let base = start * kvHeads * headDim;
  for (let r = 0; r < rows; r++, base += headDim) {
    for (let i = 0; i < half; i++) {
      const a = keys[base + i];
      const b = keys[base + i + half];
      keys[base + i] = a * cos[i] - b * sin[i];
      keys[base + i + half] = b * cos[i] + a * sin[i];
    }
  }
}
