// Rotary position embedding (rotate-half convention of Llama-family models in `transformers`):
// the frequencies a model uses, and the delta rotation that moves cached keys to new positions.
// Keys are cached after RoPE, so when `d` positions are evicted in front of a key we apply
// R(-d): R(p-d)·k = R(-d)·R(p)·k. Only the first `rotaryDim` dimensions of each head rotate
// (partial rotary); dimension i pairs with i + rotaryDim/2.
import { EngineInputError } from './errors';
import { type JsonObject, optionalNumber } from './jsonFile';

export interface Rotary {
  /** Dimensions of each head that rotate (even, ≤ head_dim). */
  rotaryDim: number;
  /** Angular frequency of each rotating pair, length rotaryDim / 2. */
  invFreq: Float64Array;
}

const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3', 'dynamic'];

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
  const params =
    config.rope_parameters && typeof config.rope_parameters === 'object' && !Array.isArray(config.rope_parameters)
      ? (config.rope_parameters as JsonObject)
      : {};
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
  if (scaling) applyScaling(invFreq, scaling, file);
  return { rotaryDim, invFreq };
}

function pickScaling(config: JsonObject, params: JsonObject): JsonObject | undefined {
  const s = config.rope_scaling;
  if (s && typeof s === 'object' && !Array.isArray(s)) return s as JsonObject;
  if (typeof params.rope_type === 'string') return params;
  return undefined;
}

function applyScaling(invFreq: Float64Array, scaling: JsonObject, file: string): void {
  const type = String(scaling.rope_type ?? scaling.type ?? 'default');
  if (!SUPPORTED_ROPE_TYPES.includes(type)) {
    throw new EngineInputError(
      `rope_scaling type "${type}" in ${file} is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`,
    );
  }
  if (type === 'default' || type === 'dynamic') return;
  const factor = optionalNumber(scaling, 'factor', file);
  if (factor === undefined || !(factor > 0)) {
    throw new EngineInputError(`rope_scaling "${type}" in ${file} needs a positive "factor"`);
  }
  if (type === 'linear') {
    for (let i = 0; i < invFreq.length; i++) invFreq[i] /= factor;
    return;
  }
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
