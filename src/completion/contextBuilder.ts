// Builds what the editor stream should hold for a cursor position. The prefix starts at a
// line boundary that moves only in coarse steps, so while the user types the new context
// extends the old one and the engine pre-fills only the typed tokens (prefix reuse).
import { EDITOR_CONTEXT } from '../engine/defaults';
import type { ContextChunk, EditorContext } from '../engine/protocol';

export interface ContextLimits {
  prefixChars: number;
  suffixChars: number;
  chunkChars: number;
  maxChunks: number;
}

/** Limits that fit an editor window of `windowTokens` (~3 characters per token of code). */
export function contextLimits(windowTokens: number): ContextLimits {
  const chars = windowTokens * 3;
  return {
    prefixChars: Math.floor(chars * EDITOR_CONTEXT.prefixShare),
    suffixChars: Math.floor(chars * EDITOR_CONTEXT.suffixShare),
    chunkChars: Math.floor(chars * EDITOR_CONTEXT.chunkShare),
    maxChunks: EDITOR_CONTEXT.maxChunks,
  };
}

export function buildEditorContext(
  text: string,
  offset: number,
  path: string,
  languageId: string,
  chunks: readonly ContextChunk[],
  limits: ContextLimits,
): EditorContext {
  return {
    chunks: [...chunks],
    path,
    languageId,
    prefix: text.slice(prefixStart(text, offset, limits.prefixChars), offset),
    suffix: text.slice(offset, suffixEnd(text, offset, limits.suffixChars)),
  };
}

/** Start of the prefix: quantised so that it stays put while typing, then moved to a line start. */
export function prefixStart(text: string, offset: number, maxChars: number): number {
  if (offset <= maxChars) return 0;
  const step = Math.max(1, Math.floor(maxChars / 4));
  const start = Math.ceil((offset - maxChars) / step) * step;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  // Prefer the next line start (stays within budget); fall back to the quantised offset.
  if (lineStart === start) return start;
  const next = text.indexOf('\n', start);
  return next >= 0 && next < offset ? next + 1 : start;
}

function suffixEnd(text: string, offset: number, maxChars: number): number {
  const end = Math.min(text.length, offset + maxChars);
  if (end === text.length) return end;
  const lastNewline = text.lastIndexOf('\n', end);
  return lastNewline > offset ? lastNewline + 1 : end;
}

/**
 * Recently viewed or edited code from other files, oldest first. A file's chunk is replaced
 * when the user returns to it; the order otherwise stays stable, so the stream keeps its prefix.
 */
export class RecentChunks {
  private chunks: ContextChunk[] = [];

  constructor(private readonly limits: () => ContextLimits) {}

  /** Remembers the code around `offset` in a file the user is leaving. */
  remember(path: string, text: string, offset: number): void {
    const { chunkChars, maxChunks } = this.limits();
    if (text.trim().length === 0) return;
    const half = Math.floor(chunkChars / 2);
    let start = Math.max(0, Math.min(offset - half, text.length - chunkChars));
    if (start > 0) start = text.indexOf('\n', start) + 1 || start;
    let end = Math.min(text.length, start + chunkChars);
    if (end < text.length) end = text.lastIndexOf('\n', end) + 1 || end;
    const chunk = { path, text: text.slice(start, end) };
    const existing = this.chunks.findIndex((old) => old.path === path);
    if (existing >= 0 && this.chunks[existing].text === chunk.text) return;
    this.chunks = [...this.chunks.filter((old) => old.path !== path), chunk].slice(-maxChunks);
  }

  /** Chunks for a request made in `currentPath` (its own file is excluded). */
  for(currentPath: string): ContextChunk[] {
    return this.chunks.filter((chunk) => chunk.path !== currentPath);
  }

  clear(): void {
    this.chunks = [];
  }
}
