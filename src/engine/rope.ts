// Rotary position embedding (rotate-half convention of Llama-family models in `transformers`):
// the frequencies a model uses, and the delta rotation that moves cached keys to new positions.
// Keys are cached after RoPE, so when `d` positions are evicted in front of a key we apply
// R(-d): R(p-d)·k = R(-d)·R(p)·k. Only the first `rotaryDim` dimensions of each head rotate
// (partial rotary); dimension i pairs with i + rotaryDim/2.
import { EngineInputError } from './errors';
import { type JsonObject, optionalNumber } from './jsonFile';
import { applyScaling, longropeLimit, objectField, pickScaling } from './ropeScaling';

export interface Rotary {
  /** Dimensions of each head that rotate (even, ≤ head_dim; 0 in a layer without rotary embedding). */
  rotaryDim: number;
  /** Angular frequency of each rotating pair, length rotaryDim / 2. */
  invFreq: Float64Array;
}

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
