// Ghost-text completions from the editor stream. A newer request supersedes the one in flight,
// VS Code's cancellation cancels the worker request, a small cache answers repeated positions
// and typed-through prefixes at once, and the stop rules end the text where a reader would.
import * as vscode from 'vscode';
import { completionOptions, type Settings } from '../config/settings';
import type { EngineClient, Generation } from '../host/engineClient';
import { CompletionCache } from './completionCache';
import { type EditorFeed, isCodeDocument } from './editorFeed';
import { applyStopRules, type StopContext } from './stopRules';

const MAX_LINES = 16;
const NEXT_LINES = 5;

export class InlineProvider implements vscode.InlineCompletionItemProvider {
  readonly cache = new CompletionCache();
  private inFlight: Generation | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly feed: EditorFeed,
    private readonly settings: () => Settings,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const text = await this.completeAt(document, position, token);
    if (!text || token.isCancellationRequested) return undefined;
    return [new vscode.InlineCompletionItem(text, new vscode.Range(position, position))];
  }

  /** The text to insert at `position`, or undefined when there is none to offer. */
  async completeAt(
    document: vscode.TextDocument,
    position: vscode.Position,
    token?: vscode.CancellationToken,
  ): Promise<string | undefined> {
    const settings = this.settings();
    if (!settings.completionEnabled || !isCodeDocument(document)) return undefined;
    if (!vscode.workspace.getConfiguration('editor', document).get<boolean>('inlineSuggest.enabled', true)) return undefined;

    const context = this.feed.contextFor(document, position);
    const key = document.uri.toString();
    const fullPrefix = document.getText(new vscode.Range(new vscode.Position(0, 0), position));
    const cached = this.cache.lookup(key, fullPrefix, context.suffix);
    if (cached !== undefined) return cached;

    if (this.engine.state.kind !== 'ready') return undefined;
    if (settings.completionDelayMs > 0 && (await sleep(settings.completionDelayMs, token))) return undefined;
    if (token?.isCancellationRequested) return undefined;

    const stop = stopContext(document, position);
    let streamed = '';
    let ruled = false;
    this.inFlight?.cancel();
    const generation = this.engine.complete(context, completionOptions(settings), (piece) => {
      streamed += piece;
      if (!ruled && applyStopRules(streamed, stop, false).stopped) {
        // The rest would be cut anyway: free the worker for the next request.
        ruled = true;
        generation.cancel();
      }
    });
    this.inFlight = generation;
    const cancellation = token?.onCancellationRequested(() => generation.cancel());
    try {
      const done = await generation.done;
      if (done.reason === 'superseded' || (done.reason === 'cancelled' && !ruled)) return undefined;
      const raw = done.text.length >= streamed.length ? done.text : streamed;
      const text = applyStopRules(raw, stop, true).text;
      if (text.length === 0) return undefined;
      this.cache.remember(key, fullPrefix, context.suffix, text);
      return text;
    } catch {
      // A failed completion shows nothing; the engine's error reaches the log and status bar.
      return undefined;
    } finally {
      cancellation?.dispose();
      if (this.inFlight === generation) this.inFlight = undefined;
    }
  }
}

function stopContext(document: vscode.TextDocument, position: vscode.Position): StopContext {
  const line = document.lineAt(position.line).text;
  const nextLines: string[] = [];
  for (let index = position.line + 1; index < Math.min(document.lineCount, position.line + 1 + NEXT_LINES); index++) {
    nextLines.push(document.lineAt(index).text);
  }
  return {
    linePrefix: line.slice(0, position.character),
    lineSuffix: line.slice(position.character),
    nextLines,
    maxLines: MAX_LINES,
  };
}

/** Waits `ms`; resolves true if cancelled meanwhile. */
function sleep(ms: number, token?: vscode.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      subscription?.dispose();
      resolve(false);
    }, ms);
    const subscription = token?.onCancellationRequested(() => {
      clearTimeout(timer);
      subscription?.dispose();
      resolve(true);
    });
  });
}
