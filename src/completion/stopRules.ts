// Where a ghost-text completion should end. A small model happily writes on past the point a
// user wants, so the text it streams is cut by rules a reader would apply: stay on the line
// when the cursor is mid-line, end with the block, end at a blank line after content, end
// before a line that repeats what already follows the cursor, end a loop after its first round
// (`Key, Key, Key`), and never exceed a line count.
// Indentation is kept exactly as written; trailing whitespace is dropped.

export interface StopContext {
  /** Text before the cursor on the cursor's line. */
  linePrefix: string;
  /** Text after the cursor on the cursor's line. */
  lineSuffix: string;
  /** Lines after the cursor's line (the first few are enough). */
  nextLines: readonly string[];
  maxLines: number;
}

export interface StopResult {
  /** The completion to show. */
  text: string;
  /** True when a rule ended the completion: more tokens would be thrown away. */
  stopped: boolean;
}

/** Longest ghost text, in lines. */
export const MAX_COMPLETION_LINES = 16;

/** The stop context of a cursor at `offset` in `text`: its line, and the few lines after it. */
export function stopContextAt(text: string, offset: number, maxLines = MAX_COMPLETION_LINES, nextLineCount = 5): StopContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  const nextLines: string[] = [];
  let at = lineEnd;
  while (at < text.length && nextLines.length < nextLineCount) {
    const end = text.indexOf('\n', at + 1);
    const stop = end < 0 ? text.length : end;
    nextLines.push(text.slice(at + 1, stop).replace(/\r$/, ''));
    at = stop;
  }
  return {
    linePrefix: text.slice(lineStart, offset),
    lineSuffix: text.slice(offset, lineEnd).replace(/\r$/, ''),
    nextLines,
    maxLines,
  };
}

const CLOSING_LINE = /^[\s]*[}\])]+[;,)]*\s*$|^\s*(end|fi|done|esac)\b/;

/**
 * Applies the stop rules to `raw`, the text generated so far. With `final` false the last line
 * may still be growing, so only complete lines are judged; with `final` true all are.
 */
export function applyStopRules(raw: string, context: StopContext, final: boolean): StopResult {
  const loop = loopEnd(raw);
  if (loop >= 0) return { ...applyStopRules(raw.slice(0, loop), context, true), stopped: true };
  const suffix = context.lineSuffix.trim();
  if (suffix.length > 0) return singleLine(raw, suffix, final);

  const lines = raw.split('\n');
  const baseIndent = indentOf(context.linePrefix.trim().length === 0 ? context.linePrefix : leading(context.linePrefix));
  const nextContent = nextContentLine(context);
  const judged = final ? lines.length : lines.length - 1;

  const kept: string[] = [];
  let seenContent = context.linePrefix.trim().length > 0;
  let deeper = false;
  for (let index = 0; index < judged; index++) {
    const line = lines[index];
    const content = line.trim();
    if (content.length > 0 && content === nextContent) return done(kept, true);
    if (index > 0) {
      if (content.length === 0) {
        if (seenContent && kept.some((previous) => previous.trim().length > 0)) return done(kept, true);
      } else {
        const indent = indentOf(leading(line));
        if (indent < baseIndent) return done(kept, true);
        if (indent > baseIndent) deeper = true;
        else if (deeper && CLOSING_LINE.test(line)) return done([...kept, line], true);
      }
    }
    if (content.length > 0) seenContent = true;
    kept.push(line);
    if (kept.length >= context.maxLines) return done(kept, true);
  }
  if (!final) kept.push(lines[lines.length - 1]);
  return { text: final ? trimEnd(kept.join('\n')) : kept.join('\n'), stopped: false };
}

/**
 * The first line with content after the cursor's line, trimmed ('' if none). A completion line
 * that repeats it ends the completion there: the model has caught up with the text that follows.
 */
export function nextContentLine(context: StopContext): string {
  return context.nextLines.find((line) => line.trim().length > 0)?.trim() ?? '';
}

/** A piece of three or more characters, written three times in a row. */
const REPEATED = /([^]{3,}?)\1\1/g;
const NAMES_SOMETHING = /[A-Za-z_]/;

/**
 * Where a loop's first round ends, or -1. A small model caught in a loop writes the same piece
 * again until its token limit (`pbkdf2nKey, pbkdf2nKey, …`, the same line over and over);
 * only the first round is worth showing. A piece must name something (hold a letter): runs
 * like `0, 0, 0` or `-----` are ordinary code.
 */
function loopEnd(raw: string): number {
  REPEATED.lastIndex = 0;
  for (let match = REPEATED.exec(raw); match; match = REPEATED.exec(raw)) {
    if (NAMES_SOMETHING.test(match[1])) return match.index + match[1].length;
    REPEATED.lastIndex = match.index + 1;
  }
  return -1;
}

/** Mid-line: complete the rest of this line only, without repeating what follows the cursor. */
function singleLine(raw: string, suffix: string, final: boolean): StopResult {
  const newline = raw.indexOf('\n');
  const complete = newline >= 0 || final;
  let line = newline >= 0 ? raw.slice(0, newline) : raw;
  if (!complete) return { text: line, stopped: false };
  const trimmed = line.trimEnd();
  return { text: trimmed.slice(0, trimmed.length - overlapWithSuffix(trimmed, suffix)).trimEnd(), stopped: true };
}

/**
 * Length of the longest end of `line` that the text after the cursor already starts with: the
 * model often writes the closing `)` or `;` that follows, and ghost text must not double it.
 */
function overlapWithSuffix(line: string, suffix: string): number {
  for (let length = Math.min(line.length, suffix.length); length > 0; length--) {
    if (line.endsWith(suffix.slice(0, length))) return length;
  }
  return 0;
}

function done(kept: string[], stopped: boolean): StopResult {
  return { text: trimEnd(kept.join('\n')), stopped };
}

function trimEnd(text: string): string {
  return text.replace(/\s+$/, '');
}

function leading(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** Width of leading whitespace, a tab counted as four columns. */
function indentOf(whitespace: string): number {
  let width = 0;
  for (const char of whitespace) width += char === '\t' ? 4 : 1;
  return width;
}
