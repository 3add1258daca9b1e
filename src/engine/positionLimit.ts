// How many positions a cache may use in a model. Positions are cache slots, so this bounds
// sinks + pinned + window. It is the model's trained positions, or less where the model itself
// sets a tighter bound:
//  - its own sliding-window attention: a layer that sees only the last `sliding_window`
//    positions would lose the sinks (and the export's mask would disagree with re-rotated
//    slots) once the cache grew past it;
//  - a rope type that changes frequencies past a length (longrope), which re-rotated keys
//    cannot follow.
import { type JsonObject, optionalNumber } from './jsonFile';
import { layerTypes, type RotaryLayout } from './rope';

export interface PositionLimit {
  positions: number;
  /** Why the limit is below max_position_embeddings; absent when it is max_position_embeddings. */
  reason?: string;
}

export function positionLimit(config: JsonObject, file: string, layers: number, rope: RotaryLayout): PositionLimit {
  const trained = optionalNumber(config, 'max_position_embeddings', file) ?? 2048;
  let limit: PositionLimit = { positions: trained };
  const window = slidingWindow(config, file, layers);
  if (window !== undefined && window < limit.positions) {
    limit = {
      positions: window,
      reason: `its sliding_window of ${window}: its windowed layers see only the last ${window} positions, so a longer cache would hide the sinks from them`,
    };
  }
  if (rope.limit && rope.limit.positions < limit.positions) limit = rope.limit;
  return limit;
}

/** The model's own attention window when any layer uses one. */
function slidingWindow(config: JsonObject, file: string, layers: number): number | undefined {
  const window = optionalNumber(config, 'sliding_window', file);
  if (window === undefined || window <= 0) return undefined;
  if (Array.isArray(config.layer_types)) return layerTypes(config, layers).includes('sliding_attention') ? window : undefined;
  if (config.use_sliding_window === false) return undefined;
  return window;
}
