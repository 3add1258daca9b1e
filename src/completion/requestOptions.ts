// The generation options of one completion request: the settings' options, the line the stop
// rules would drop if the completion began with it, so that the engine writes another first
// line instead, and whether an unsure first line is weighed against others
// (src/engine/lineSearch.ts). Weighing writes four lines before the first is shown, so it is
// kept for a cursor on a line with nothing typed yet, where the model is least sure what comes
// and the user waits for a whole line; while the user types a line, its start already steers
// the model and a suggestion must keep up with the typing.
import { completionOptions, type Settings } from '../config/settings';
import type { GenerateOptions } from '../engine/protocol';
import { nextContentLine, type StopContext } from './stopRules';

export function completionRequestOptions(settings: Settings, stop: StopContext): GenerateOptions {
  const next = nextContentLine(stop);
  const options = completionOptions(settings);
  const freshLine = stop.linePrefix.trim() === '';
  return { ...options, unwantedLines: next ? [next] : [], weighFirstLineBelow: freshLine ? options.weighFirstLineBelow : 0 };
}
