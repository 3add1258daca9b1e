// The `rope_scaling` types that change a model's rotary frequencies (linear, llama3, yarn,
// longrope; dynamic NTK reads as default within the trained length), as `transformers`
// computes them: re-rotated keys must turn at exactly the frequencies the graph used.
import { EngineInputError } from './errors';
import { type JsonObject, optionalNumber } from './jsonFile';

const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3', 'dynamic', 'yarn', 'longrope'];

export function objectField(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/** The block that scales frequencies: `rope_scaling`, or `rope_parameters` when it names a rope type. */
export function pickScaling(config: JsonObject, params: JsonObject): JsonObject | undefined {
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

/** What a scaling rule needs besides its own block. */
export interface Base {
  theta: number;
  rotaryDim: number;
  maxPositions: number | undefined;
}

export function applyScaling(invFreq: Float64Array, scaling: JsonObject, base: Base, file: string): void {
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

export function longropeLimit(config: JsonObject, params: JsonObject | undefined, file: string): { positions: number; reason: string } | undefined {
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
