/** An error caused by the user's input (model directory, settings, text), worded so they can fix it. */
export class EngineInputError extends Error {
  override name = 'EngineInputError';
}
