// The generation options of one completion request: the settings' options and the line the
// stop rules would drop if the completion began with it, so that the engine writes another
// first line instead (src/engine/lineSearch.ts).
import { completionOptions, type Settings } from '../config/settings';
import type { GenerateOptions } from '../engine/protocol';
import { nextContentLine, type StopContext } from './stopRules';

export function completionRequestOptions(settings: Settings, stop: StopContext): GenerateOptions {
  const next = nextContentLine(stop);
  return { ...completionOptions(settings), unwantedLines: next ? [next] : [] };
}
