// When the editor stream is fed, and with what. An edit feeds the cursor context almost at once,
// so that the worker has pre-filled it by the time the completion request arrives (VS Code asks
// after its own short debounce); the request itself then pre-fills a token or two. A cursor move
// or a switch of editor feeds after a longer pause: the user may be only passing through.
// Kept free of `vscode` so the benchmark replays a session through the same logic.
import type { EditorContext } from '../engine/protocol';
import { buildEditorContext, type ContextLimits, RecentChunks } from './contextBuilder';

/** Coalesces the change and selection events of one keystroke into one feed. */
export const EDIT_FEED_DELAY_MS = 10;
/** A cursor move or editor switch: wait for the user to settle. */
export const MOVE_FEED_DELAY_MS = 250;

/** A document and cursor as the completion logic sees them. */
export interface CursorSnapshot {
  /** Identifies the document (its URI). */
  document: string;
  /** Workspace-relative path shown to the model. */
  path: string;
  languageId: string;
  text: string;
  offset: number;
}

export interface Feeder {
  feed(context: EditorContext): void;
}

export class FeedScheduler {
  private readonly recent: RecentChunks;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `current` gives the active code editor's cursor when the timer fires (undefined when there
   * is none), so a burst of events feeds only the state it ends in.
   */
  constructor(
    private readonly engine: Feeder,
    private readonly limits: () => ContextLimits,
    private readonly enabled: () => boolean,
    private readonly current: () => CursorSnapshot | undefined,
  ) {
    this.recent = new RecentChunks(limits);
  }

  /** The editor stream's content for a completion at the snapshot's cursor. */
  contextAt(at: CursorSnapshot): EditorContext {
    return buildEditorContext(at.text, at.offset, at.path, at.languageId, this.recent.for(at.path), this.limits());
  }

  edited(): void {
    this.schedule(EDIT_FEED_DELAY_MS);
  }

  moved(): void {
    this.schedule(MOVE_FEED_DELAY_MS);
  }

  /** The user left `left` (if it was code) for another editor. */
  switched(left: CursorSnapshot | undefined): void {
    if (left) this.recent.remember(left.path, left.text, left.offset);
    this.schedule(MOVE_FEED_DELAY_MS);
  }

  /** Forgets remembered chunks (with a reset of the editor stream). */
  clear(): void {
    this.recent.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    // An edit after a move shortens the wait; a move after an edit does not lengthen it.
    if (this.timer !== undefined && delayMs >= MOVE_FEED_DELAY_MS) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.feedNow();
    }, delayMs);
  }

  private feedNow(): void {
    if (!this.enabled()) return;
    const at = this.current();
    if (at) this.engine.feed(this.contextAt(at));
  }
}
