// The object `activate()` returns. Other extensions and the extension-host tests use it to
// drive Endless exactly as the user does (chat panel, inline completions), without the UI.
import type * as vscode from 'vscode';
import type { ChatMessage, EngineStats, ModelInfo, Usage } from './engine/protocol';
import type { ViewMessage } from './webview/protocol';

export type { ChatMessage, EngineStats, ModelInfo, StreamStats } from './engine/protocol';

export interface EndlessApi {
  /**
   * Resolves once the worker has loaded the model (after a restart: once it is loaded again).
   * Rejects if the model cannot be loaded, with the engine's message.
   */
  whenReady(): Promise<ModelInfo>;

  /**
   * Sends `text` as the next user message of the chat session, exactly as the panel's Send
   * does: it appears in the panel, streams token by token, is saved in the transcript.
   * `onToken` receives each streamed piece. Resolves with the whole reply; rejects if the
   * engine reports an error. A reply stopped by `endless.stop` resolves with what was written.
   */
  chat(text: string, onToken?: (piece: string) => void): Promise<string>;

  /**
   * Asks the inline completion provider for the ghost text at `position`, as VS Code would
   * (same feed, cache and stop rules). Resolves with the inserted text, or undefined when the
   * provider offers nothing (disabled, cancelled, empty completion). `trigger` is how VS Code
   * would have asked: `Automatic` while typing (the default; it waits `endless.completion.delayMs`
   * first), `Invoke` when the user asked (no wait). The text is what shows first: a completion
   * of several lines may show its first line while the rest is written.
   */
  provideCompletion(
    document: vscode.TextDocument,
    position: vscode.Position,
    token?: vscode.CancellationToken,
    trigger?: vscode.InlineCompletionTriggerKind,
  ): Promise<string | undefined>;

  /** The latest cache statistics pushed by the worker; undefined before the first push. */
  stats(): EngineStats | undefined;

  /** The chat's newest messages as the model saw them (oldest first; a bounded number). */
  transcript(): readonly ChatMessage[];

  /**
   * Up to `limit` messages of the chat older than message `beforeId`, oldest first, read back
   * from the transcript log (empty at the start of the chat): what the panel loads on scroll-up.
   */
  olderMessages(beforeId: number, limit: number): Promise<readonly (ViewMessage & { id: number })[]>;

  /** Bytes the chat transcript takes on disk, the most it may take, and where its log is. */
  storage(): { storedBytes: number; capBytes: number; logPath: string };

  /** Starts a new chat, as the panel's New Session does. */
  newSession(): Promise<void>;

  /** What the engine reported for the last finished chat reply (tokens, times). */
  lastChatUsage(): Usage | undefined;

  /** The chat as the panel shows it (oldest first), with how each reply finished. */
  chatView(): readonly ViewMessage[];

  /** How many times the worker has been restarted after a crash since activation. */
  restartCount(): number;

  /**
   * What the engine is doing: `idle` until first use (no worker exists yet), then `starting`,
   * `ready`, `failed`, `restarting` or `stopped`.
   */
  engineState(): 'idle' | 'starting' | 'ready' | 'failed' | 'restarting' | 'stopped';

  /** The value Endless last gave the `endless.streaming` context key (Stop's enablement). */
  streamingContext(): boolean;

  /**
   * Makes the worker crash, whatever is in flight, to prove recovery: requests in flight fail,
   * the client restarts it with backoff and replays `init`; `whenReady()` then resolves again.
   */
  crashWorkerForTesting(): void;
}
