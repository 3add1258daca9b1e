// Context the user attaches to a chat message (a selection or a whole file). The model's window
// is small, so attached text is clipped to a budget, keeping the lines around the point of
// interest, and the user is told what was kept. No `vscode` here: this is tested on its own.

export interface Attachment {
  id: string;
  /** Shown on the chip, e.g. "main.ts:10-24" or "main.ts". */
  label: string;
  languageId: string;
  text: string;
  /** Set when the text was clipped; says what was kept. */
  clippedNotice?: string;
}

export interface Clipped {
  text: string;
  /** 1-based first and last kept lines. */
  firstLine: number;
  lastLine: number;
  totalLines: number;
  clipped: boolean;
}

/**
 * Keeps whole lines of `text`, at most `maxChars` characters, centred on the line that holds
 * `focusOffset` (the cursor); lines are added alternately after and before it while they fit.
 */
export function clipAround(text: string, focusOffset: number, maxChars: number): Clipped {
  const lines = text.split('\n');
  if (text.length <= maxChars) {
    return { text, firstLine: 1, lastLine: lines.length, totalLines: lines.length, clipped: false };
  }
  let focus = 0;
  for (let offset = 0; focus < lines.length - 1; focus++) {
    offset += lines[focus].length + 1;
    if (offset > focusOffset) break;
  }
  let first = focus;
  let last = focus;
  let size = Math.min(lines[focus].length, maxChars);
  for (let grew = true; grew; ) {
    grew = false;
    if (last + 1 < lines.length && size + lines[last + 1].length + 1 <= maxChars) {
      last++;
      size += lines[last].length + 1;
      grew = true;
    }
    if (first > 0 && size + lines[first - 1].length + 1 <= maxChars) {
      first--;
      size += lines[first].length + 1;
      grew = true;
    }
  }
  const kept = lines.slice(first, last + 1).join('\n').slice(0, maxChars);
  return { text: kept, firstLine: first + 1, lastLine: last + 1, totalLines: lines.length, clipped: true };
}

/**
 * The notice shown on a clipped chip. `lineOffset` is the 0-based line where the clipped text
 * starts in its file (a selection's first line), so the notice speaks in file line numbers.
 */
export function clippedNotice(clip: Clipped, lineOffset = 0): string {
  const from = clip.firstLine + lineOffset;
  const to = clip.lastLine + lineOffset;
  const of = lineOffset === 0 ? `${clip.totalLines}` : `lines ${lineOffset + 1}–${lineOffset + clip.totalLines}`;
  return `Clipped to lines ${from}–${to} of ${of} to fit the context window.`;
}

/**
 * Characters of attached context that fit a chat window of `windowTokens`: half the window,
 * at ~3 characters per token of code, so the question and the reply still fit beside it.
 */
export function attachmentBudgetChars(windowTokens: number): number {
  return Math.max(200, Math.floor(windowTokens * 0.5 * 3));
}

/** The user message the model sees: attached context first, then what the user typed. */
export function composeUserContent(text: string, attachments: readonly Attachment[]): string {
  const blocks = attachments.map((attachment) => {
    const fence = attachment.text.includes('```') ? '~~~~' : '```';
    return `${attachment.label}:\n${fence}${attachment.languageId}\n${attachment.text}\n${fence}`;
  });
  return [...blocks, text].filter((part) => part.length > 0).join('\n\n');
}
