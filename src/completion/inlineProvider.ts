// VS Code's side of ghost text: turns a provider call into a request for the completion logic
// (completer.ts), and its answer into an inline item. An explicit trigger skips the pause; a
// suggestion selected in the suggest widget is continued; when a completion that was shown
// early (its first line) grows, the suggestion is asked for again so the whole of it shows.
import * as vscode from 'vscode';
import type { Settings } from '../config/settings';
import type { EngineClient } from '../host/engineClient';
import { Completer, type CompletionRequest } from './completer';
import { type EditorFeed, isCodeDocument, snapshotOf } from './editorFeed';

export class InlineProvider implements vscode.InlineCompletionItemProvider {
  readonly completer: Completer;

  constructor(engine: EngineClient, feed: EditorFeed, settings: () => Settings) {
    this.completer = new Completer(engine, (at) => feed.contextAt(at), settings);
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!isCodeDocument(document)) return undefined;
    if (!vscode.workspace.getConfiguration('editor', document).get<boolean>('inlineSuggest.enabled', true)) return undefined;
    const selected = context.selectedCompletionInfo;
    const request: CompletionRequest = {
      ...snapshotOf(document, document.offsetAt(position)),
      explicit: context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke,
      selected: selected && {
        start: document.offsetAt(selected.range.start),
        end: document.offsetAt(selected.range.end),
        text: selected.text,
      },
    };
    const version = document.version;
    const completion = await this.completer.complete(request, token, () => askAgain(document, version, position));
    if (!completion || token.isCancellationRequested) return undefined;
    if (selected) return [new vscode.InlineCompletionItem(selected.text + completion.text, selected.range)];
    return [new vscode.InlineCompletionItem(completion.text, new vscode.Range(position, position))];
  }
}

/** Asks VS Code for the suggestion again when the user is still where it was made. */
function askAgain(document: vscode.TextDocument, version: number, position: vscode.Position): void {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document !== document || document.version !== version || !editor.selection.active.isEqual(position)) return;
  void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
}
