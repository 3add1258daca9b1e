// Turns generated token ids into text pieces as they arrive. Byte-level tokens can split a
// character: a decode that ends in U+FFFD is held back until the next token completes it.
// Stop strings end the text before them; text that could still become a stop string is held.
import type { TextTokenizer } from './tokenizer';

export class TextStream {
  private readonly ids: number[] = [];
  /** Index in `ids` of the token before the undecoded tail (decoded with it for context). */
  private anchor = -1;
  private anchorText = '';
  /** All stable text decoded so far. */
  private text = '';
  /** Length of `text` already handed out. */
  private emitted = 0;
  stopped = false;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly stops: readonly string[],
  ) {}

  /** Adds a token; returns the text that became safe to show (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    if (!this.absorbTail(false)) return '';
    return this.release(false);
  }

  /** Everything not yet handed out (at the end of generation, a held-back stop prefix is real text). */
  flush(): string {
    if (this.ids.length - 1 > this.anchor) this.absorbTail(true);
    return this.release(true);
  }

  /** Decodes the tokens after the anchor into `text`; false while they end mid-character. */
  private absorbTail(final: boolean): boolean {
    const tail = this.ids.slice(this.anchor < 0 ? 0 : this.anchor);
    const decoded = this.tokenizer.decode(tail);
    const prefix = this.anchor < 0 ? '' : this.anchorText;
    if (!final && decoded.endsWith('\uFFFD')) return false;
    this.text += decoded.startsWith(prefix) ? decoded.slice(prefix.length) : decoded;
    // Re-anchor on the newest token so the next decode stays short.
    this.anchor = this.ids.length - 1;
    this.anchorText = this.tokenizer.decode([this.ids[this.anchor]]);
    return true;
  }

  /** The text generated so far, cut before a stop string if one appeared. */
  get fullText(): string {
    return this.text;
  }

  private release(final: boolean): string {
    for (const stop of this.stops) {
      const at = stop ? this.text.indexOf(stop) : -1;
      if (at >= 0) {
        this.text = this.text.slice(0, at);
        this.stopped = true;
      }
    }
    let safe = this.text.length;
    if (!final && !this.stopped) safe -= this.heldForStops();
    if (safe <= this.emitted) return '';
    const piece = this.text.slice(this.emitted, safe);
    this.emitted = safe;
    return piece;
  }

  /** Length of the longest end of `text` that is a proper prefix of some stop string. */
  private heldForStops(): number {
    let held = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.text.length); n > held; n--) {
        if (this.text.endsWith(stop.slice(0, n))) {
          held = n;
          break;
        }
      }
    }
    return held;
  }
}
