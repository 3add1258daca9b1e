// The stop-rule context of a cursor in plain text, without `vscode`: the same fields the inline
// provider reads from a TextDocument, so a terminal command and evaluations cut completions
// exactly as the editor does.
import type { StopContext } from './stopRules';

/** Longest ghost text, in lines. */
export const MAX_COMPLETION_LINES = 16;
/** Lines after the cursor's line that the stop rules look at. */
export const STOP_NEXT_LINES = 5;

/** `line` and `character` are 0-based, as in VS Code's Position. */
export function stopContextAt(lines: readonly string[], line: number, character: number): StopContext {
  const text = lines[line] ?? '';
  return {
    linePrefix: text.slice(0, character),
    lineSuffix: text.slice(character),
    nextLines: lines.slice(line + 1, line + 1 + STOP_NEXT_LINES),
    maxLines: MAX_COMPLETION_LINES,
  };
}
