// One completion the worker is generating, shared by every request that can use it. A request
// made after the user typed the start of what is being generated adopts the generation instead
// of cancelling it and starting over: it is answered with the rest, as soon as a whole line of
// the rest is known. The text is ruled by the stop rules of the position it was started for,
// which is exactly what a typed-through request would see from the cache afterwards.
import type { Finished, Generation } from '../host/engineClient';
import type { Usage } from '../engine/protocol';
import type { Cancellation } from './cancellation';
import { applyStopRules, type StopContext } from './stopRules';

/** What a request is shown: `final` once the generation has ended. */
export interface Answer {
  text: string;
  final: boolean;
}

/**
 * How long a generation whose every request was cancelled keeps running: VS Code cancels a
 * request when the user types and asks again after its debounce; the new request may adopt it.
 */
export const ORPHAN_GRACE_MS = 300;

/** How many characters of the text after the cursor must match for a request to adopt. */
const SUFFIX_HEAD = 128;

export class InFlight {
  /** Resolves with the ruled text once the generation ends (undefined: it was cut off or failed). */
  readonly finished: Promise<string | undefined>;
  /** The engine's account of the request, once it ends. */
  usage: Usage | undefined;
  private readonly generation: Generation;
  private readonly suffixHead: string;
  private streamed = '';
  private ended = false;
  private finalText: string | undefined;
  /** A stop rule ended the text: the generation was cancelled on purpose. */
  private ruled = false;
  private consumers = 0;
  private orphanTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly watchers = new Set<() => void>();

  /**
   * Starts the generation through `start`, for a cursor with `prefix` (the whole text before it)
   * and `suffix` after it in `document`.
   */
  constructor(
    readonly document: string,
    readonly prefix: string,
    suffix: string,
    private readonly stop: StopContext,
    start: (onToken: (piece: string) => void) => Generation,
  ) {
    this.suffixHead = suffix.slice(0, SUFFIX_HEAD);
    this.generation = start((piece) => this.received(piece));
    this.finished = this.generation.done.then(
      (done) => this.end(done),
      () => this.end(undefined),
    );
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * What the user typed since this generation started, when a request at `prefix`/`suffix` is
   * that position plus typing (and this generation has produced at least that much so far).
   */
  adoptable(document: string, prefix: string, suffix: string): string | undefined {
    if (this.ended || document !== this.document || suffix.slice(0, SUFFIX_HEAD) !== this.suffixHead) return undefined;
    if (!prefix.startsWith(this.prefix)) return undefined;
    const typed = prefix.slice(this.prefix.length);
    return this.ruledSoFar().text.startsWith(typed) ? typed : undefined;
  }

  /**
   * The answer for a request that typed `typed`: the rest of the completion once a whole line of
   * it (or all of it) is known; null when there will be none; undefined while it is unknown.
   */
  answer(typed: string): Answer | null | undefined {
    if (this.ended) {
      if (this.finalText === undefined || !this.finalText.startsWith(typed)) return null;
      const rest = this.finalText.slice(typed.length);
      return rest.trim().length > 0 ? { text: rest, final: true } : null;
    }
    const sofar = this.ruledSoFar();
    if (!sofar.text.startsWith(typed)) return typed.startsWith(sofar.text) && !sofar.stopped ? undefined : null;
    const rest = sofar.text.slice(typed.length);
    const cut = rest.lastIndexOf('\n');
    if (!sofar.stopped && cut >= 0 && rest.slice(0, cut).trim().length > 0) return { text: rest.slice(0, cut).trimEnd(), final: false };
    return undefined;
  }

  /** Waits for `answer(typed)` to be known; undefined when there is none or `token` is cancelled. */
  async wait(typed: string, token?: Cancellation): Promise<Answer | undefined> {
    this.consumers++;
    clearTimeout(this.orphanTimer);
    try {
      for (;;) {
        if (token?.isCancellationRequested) return undefined;
        const answer = this.answer(typed);
        if (answer !== undefined) return answer ?? undefined;
        await this.change(token);
      }
    } finally {
      this.consumers--;
      if (token?.isCancellationRequested && this.consumers === 0 && !this.ended) {
        this.orphanTimer = setTimeout(() => this.cancel(), ORPHAN_GRACE_MS);
      }
    }
  }

  cancel(): void {
    clearTimeout(this.orphanTimer);
    this.generation.cancel();
  }

  private ruledSoFar() {
    return applyStopRules(this.streamed, this.stop, false);
  }

  private received(piece: string): void {
    this.streamed += piece;
    if (!this.ruled && this.ruledSoFar().stopped) {
      // The rest would be cut anyway: free the worker for the next request.
      this.ruled = true;
      this.generation.cancel();
    }
    this.notify();
  }

  private end(done: Finished | undefined): string | undefined {
    clearTimeout(this.orphanTimer);
    this.ended = true;
    this.usage = done?.usage;
    const usable = done && done.reason !== 'superseded' && (done.reason !== 'cancelled' || this.ruled);
    if (usable) {
      const raw = done.text.length >= this.streamed.length ? done.text : this.streamed;
      const text = applyStopRules(raw, this.stop, true).text;
      this.finalText = text.length > 0 ? text : undefined;
    }
    this.notify();
    return this.finalText;
  }

  /** Resolves at the next token, the end, or a cancellation of `token`. */
  private change(token?: Cancellation): Promise<void> {
    return new Promise((resolve) => {
      const subscription = token?.onCancellationRequested(() => done());
      const done = () => {
        this.watchers.delete(done);
        subscription?.dispose();
        resolve();
      };
      this.watchers.add(done);
    });
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}
