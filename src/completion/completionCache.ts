// Answers a completion request without the model when it can: the same position again, or a
// position the user reached by typing exactly what the last completion suggested.

export interface CachedCompletion {
  /** Document the completion was made for. */
  document: string;
  /** The text just before the cursor when it was made (its tail is enough). */
  prefixTail: string;
  /** The text just after the cursor when it was made (its head is enough). */
  suffixHead: string;
  completion: string;
}

const TAIL = 256;
const HEAD = 128;

export class CompletionCache {
  private entries: CachedCompletion[] = [];

  constructor(private readonly capacity = 32) {}

  /** Records a completion made with `prefix` before and `suffix` after the cursor. */
  remember(document: string, prefix: string, suffix: string, completion: string): void {
    if (completion.length === 0) return;
    const entry = { document, prefixTail: prefix.slice(-TAIL), suffixHead: suffix.slice(0, HEAD), completion };
    this.entries = [entry, ...this.entries.filter((old) => !same(old, entry))].slice(0, this.capacity);
  }

  /**
   * The rest of a remembered completion when `prefix` is a remembered prefix followed by the
   * start of its completion (typed through), with the same text after the cursor.
   */
  lookup(document: string, prefix: string, suffix: string): string | undefined {
    const suffixHead = suffix.slice(0, HEAD);
    for (const entry of this.entries) {
      if (entry.document !== document || entry.suffixHead !== suffixHead) continue;
      for (let typed = 0; typed < entry.completion.length; typed++) {
        if (prefix.endsWith(entry.prefixTail + entry.completion.slice(0, typed))) {
          return entry.completion.slice(typed);
        }
      }
    }
    return undefined;
  }

  clear(): void {
    this.entries = [];
  }
}

function same(a: CachedCompletion, b: CachedCompletion): boolean {
  return a.document === b.document && a.prefixTail === b.prefixTail && a.suffixHead === b.suffixHead;
}
