// Builds the editor stream (docs/prompt-format.md): context chunks flow through the window,
// oldest first, each streamed once while it is still in the window; the cursor block stays at
// the tail, suffix first, so typing at the cursor only appends tokens.
import { type FimFormat, fimBlock, fimFormat } from './fimFormat';
import type { ContextChunk, EditorContext } from './protocol';
import { append } from './tokenList';
import type { TextTokenizer } from './tokenizer';

export interface EditorTarget {
  /** Tokens from logical index `offset` on. */
  tokens: number[];
  offset: number;
  /** Logical indices where a chunk or the cursor block begins. */
  boundaries: number[];
  /** Chunks this target adds, with their logical spans (recorded once the feed completes). */
  added: { key: string; start: number; end: number }[];
  /** Logical index where the cursor block begins. */
  cursorStart: number;
}

interface Placed {
  key: string;
  start: number;
  end: number;
}

export class EditorPrompt {
  private placed: Placed[] = [];
  /** Keys of chunks streamed since the stream started, oldest first. */
  private readonly streamed = new Set<string>();
  /** The last suffix and its tokens (`suffixTokens`). */
  private lastSuffix: { text: string; tokens: number[] } = { text: '', tokens: [] };
  /** Logical index where the last committed cursor block began. */
  private tailStart = -1;
  private epoch = -1;

  /** The model's fill-in-the-middle layout; none means completions see the prefix only. */
  readonly fim: FimFormat | undefined;

  /**
   * `maxSuffixTokens` bounds the text after the cursor, in whole lines. The host sends it by
   * characters; dense code can spell many more tokens per character, and a cursor block longer
   * than the stream can take at once loses its front: the path and the suffix's first lines,
   * which are what the completion must fit between. The suffix does not change while the user
   * types at the cursor, so neither does its cut, and typing still only appends tokens.
   */
  constructor(
    private readonly tokenizer: TextTokenizer,
    modelType?: string,
    private readonly maxSuffixTokens = Infinity,
  ) {
    this.fim = fimFormat(tokenizer, modelType);
  }

  get hasFim(): boolean {
    return this.fim !== undefined;
  }

  /**
   * What the stream should hold for `context`. `epoch` changes whenever the stream restarts;
   * `windowStart` is the logical index of its oldest window token, `length` the next index.
   * The previous cursor block (and whatever was generated after it) is replaced when it is
   * still in the cache; otherwise the new content is appended after everything.
   */
  target(context: EditorContext, epoch: number, windowStart: number, length: number): EditorTarget {
    if (epoch !== this.epoch || length === 0) {
      this.placed = [];
      this.streamed.clear();
      this.tailStart = -1;
      this.epoch = epoch;
    }
    const rewind = this.tailStart >= windowStart && this.tailStart <= length;
    const offset = length === 0 ? 0 : rewind ? this.tailStart : length;
    // Spans after the new offset are about to be replaced.
    this.placed = this.placed.filter((p) => p.end <= offset);
    const tokens: number[] = [];
    const sink = this.tokenizer.special.sink;
    if (offset === 0 && sink !== undefined) tokens.push(sink);
    const boundaries: number[] = [];
    const added: Placed[] = [];
    // A chunk streams once: the host restates its recent chunks with every request, and
    // streaming one again each time it left the window would churn the cache. An edited chunk
    // is a new chunk.
    const known = new Set([...this.placed.map((p) => p.key), ...this.streamed]);
    for (const chunk of context.chunks) {
      const key = chunkKey(chunk);
      if (known.has(key)) continue;
      known.add(key);
      const start = offset + tokens.length;
      boundaries.push(start);
      append(tokens, this.chunkTokens(chunk));
      added.push({ key, start, end: offset + tokens.length });
    }
    const cursorStart = offset + tokens.length;
    boundaries.push(cursorStart);
    append(tokens, this.cursorTokens(context));
    return { tokens, offset, boundaries, added, cursorStart };
  }

  /** Records the chunks of a target once the stream holds them. */
  commit(target: EditorTarget): void {
    append(this.placed, target.added);
    for (const { key } of target.added) {
      this.streamed.delete(key);
      this.streamed.add(key);
    }
    while (this.streamed.size > STREAMED_MEMORY) this.streamed.delete(this.streamed.values().next().value as string);
    // Spans are only needed while they can still be rewound to.
    if (this.placed.length > STREAMED_MEMORY) this.placed.splice(0, this.placed.length - STREAMED_MEMORY);
    this.tailStart = target.cursorStart;
  }

  private chunkTokens(chunk: ContextChunk): number[] {
    const sep = this.tokenizer.special.fileSep;
    const body = this.tokenizer.encodeText(`${chunk.text}\n`);
    if (sep === undefined) return body;
    return [sep, ...this.tokenizer.encodeText(`${chunk.path}\n`), ...body];
  }

  private cursorTokens(context: EditorContext): number[] {
    const s = this.tokenizer.special;
    const header = s.fileSep === undefined ? [] : [s.fileSep, ...this.tokenizer.encodeText(`${context.path}\n`)];
    const prefix = this.tokenizer.encodeText(context.prefix);
    if (!this.fim) return [...header, ...prefix];
    return [...header, ...fimBlock(this.fim, prefix, this.suffixTokens(context.suffix))];
  }

  /**
   * The suffix's tokens, cut after the last whole line that fits `maxSuffixTokens`. While the
   * user types at the cursor the suffix stays the same, so the last one is kept.
   */
  private suffixTokens(suffix: string): number[] {
    if (suffix === this.lastSuffix.text) return this.lastSuffix.tokens;
    let ids = this.tokenizer.encodeText(suffix);
    if (ids.length > this.maxSuffixTokens) {
      const fits = this.tokenizer.decode(ids.slice(0, this.maxSuffixTokens));
      const lineEnd = fits.lastIndexOf('\n');
      ids = lineEnd < 0 || !suffix.startsWith(fits.slice(0, lineEnd + 1))
        ? ids.slice(0, this.maxSuffixTokens)
        : this.tokenizer.encodeText(suffix.slice(0, lineEnd + 1));
    }
    this.lastSuffix = { text: suffix, tokens: ids };
    return ids;
  }
}

/** How many streamed chunks are remembered (and so not streamed again). */
const STREAMED_MEMORY = 256;

function chunkKey(chunk: ContextChunk): string {
  return `${chunk.path}\u0000${chunk.text}`;
}
