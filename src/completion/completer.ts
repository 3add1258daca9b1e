// The ghost-text logic, free of `vscode` (the provider adapts VS Code's calls to it; the
// benchmark replays sessions through it). In order, a request is answered by
//   1. the cache: the same position again, or the user typed through a finished completion;
//   2. the generation in flight, when the user typed the start of what it is writing;
//   3. a new generation, after a pause that lets a burst of keystrokes settle: an automatic
//      request waits `completion.delayMs`, an explicit one (the user asked) does not.
// A generation answers as soon as its first whole line is known and keeps going; when it ends
// with more, `onLonger` tells the caller so it can ask again (the cache then has it all).
import type { Settings } from '../config/settings';
import type { EngineState, Generation } from '../host/engineClient';
import type { EditorContext, GenerateOptions, Usage } from '../engine/protocol';
import { type Cancellation, pause } from './cancellation';
import { CompletionCache } from './completionCache';
import type { CursorSnapshot } from './feedScheduler';
import { InFlight } from './inFlight';
import { stopContextAt } from './stopRules';
import { completionRequestOptions } from './requestOptions';

export interface CompletionRequest extends CursorSnapshot {
  /** The user asked for a completion (VS Code's `InlineCompletionTriggerKind.Invoke`). */
  explicit: boolean;
  /**
   * The suggest widget's selected item: inserting `text` over `start`..`end` (offsets in
   * `text`). The completion then continues that item, as VS Code requires to show it.
   */
  selected?: { start: number; end: number; text: string };
}

export interface Completion {
  /** The text to insert at the cursor (after the selected suggestion, when there is one). */
  text: string;
  source: 'cache' | 'reuse' | 'model';
  /** The engine's account of the generation that wrote it, once that ends (none for the cache). */
  usage: Promise<Usage | undefined>;
}

/** The engine as the completion logic needs it (EngineClient satisfies it). */
export interface CompletionEngine {
  readonly state: EngineState;
  /** Starts an engine nothing has used yet (the first completion is a first use). */
  ensureStarted(): void;
  complete(context: EditorContext, options: GenerateOptions, onToken?: (text: string) => void): Generation;
}

export class Completer {
  readonly cache = new CompletionCache();
  private inFlight: InFlight | undefined;

  constructor(
    private readonly engine: CompletionEngine,
    private readonly contextAt: (at: CursorSnapshot) => EditorContext,
    private readonly settings: () => Settings,
  ) {}

  /** The completion at the request's cursor, or undefined when there is none to offer. */
  async complete(request: CompletionRequest, token?: Cancellation, onLonger?: () => void): Promise<Completion | undefined> {
    const settings = this.settings();
    if (!settings.completionEnabled || token?.isCancellationRequested) return undefined;
    const at = withSelection(request);
    const context = this.contextAt(at);
    const prefix = at.text.slice(0, at.offset);

    const cached = this.cache.lookup(at.document, prefix, context.suffix);
    if (cached !== undefined) return { text: cached, source: 'cache', usage: Promise.resolve(undefined) };
    // The first completion starts the engine and waits for it; while a load or restart that
    // began earlier is under way, the editor gets nothing rather than a stall.
    if (this.engine.state.kind === 'idle') this.engine.ensureStarted();
    else if (this.engine.state.kind !== 'ready') return undefined;

    const running = this.inFlight;
    const typed = running?.adoptable(at.document, prefix, context.suffix);
    if (running && typed !== undefined) return this.answer(running, typed, 'reuse', token, onLonger);
    // Stop what can no longer be used at once, so the worker is free for the feed meanwhile.
    this.stopRunning();

    if (!request.explicit && settings.completionDelayMs > 0 && (await pause(settings.completionDelayMs, token))) return undefined;
    if (token?.isCancellationRequested) return undefined;
    this.stopRunning();

    const stop = stopContextAt(at.text, at.offset);
    const options = completionRequestOptions(settings, stop);
    const flight = new InFlight(at.document, prefix, context.suffix, stop, (onToken) => this.engine.complete(context, options, onToken));
    this.inFlight = flight;
    void flight.finished.then((text) => {
      if (text !== undefined) this.cache.remember(at.document, prefix, context.suffix, text);
      if (this.inFlight === flight) this.inFlight = undefined;
    });
    return this.answer(flight, '', 'model', token, onLonger);
  }

  /** Forgets remembered completions and stops the one in flight. */
  clear(): void {
    this.cache.clear();
    this.stopRunning();
  }

  private stopRunning(): void {
    this.inFlight?.cancel();
    this.inFlight = undefined;
  }

  private async answer(
    flight: InFlight,
    typed: string,
    source: 'reuse' | 'model',
    token: Cancellation | undefined,
    onLonger: (() => void) | undefined,
  ): Promise<Completion | undefined> {
    const answer = await flight.wait(typed, token);
    if (!answer || token?.isCancellationRequested) return undefined;
    if (!answer.final && onLonger) {
      void flight.finished.then(() => {
        const whole = flight.answer(typed);
        if (whole && whole.text.length > answer.text.length && whole.text.startsWith(answer.text)) onLonger();
      });
    }
    return { text: answer.text, source, usage: flight.finished.then(() => flight.usage) };
  }
}

/**
 * The document as it will be once the selected suggestion is inserted, with the cursor after
 * it: the completion continues from there.
 */
export function withSelection(request: CompletionRequest): CursorSnapshot {
  const { selected } = request;
  if (!selected) return request;
  return {
    document: request.document,
    path: request.path,
    languageId: request.languageId,
    text: request.text.slice(0, selected.start) + selected.text + request.text.slice(selected.end),
    offset: selected.start + selected.text.length,
  };
}
