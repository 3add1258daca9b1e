// Keeps the editor stream warm: on edits, cursor moves and editor switches (debounced) it
// sends the worker the context a completion at the cursor would need, so that the completion
// request itself adds only a few tokens. Also remembers code from files the user leaves, which
// then flows through the editor window as context chunks.
import * as vscode from 'vscode';
import type { EditorContext } from '../engine/protocol';
import type { EngineClient } from '../host/engineClient';
import { buildEditorContext, type ContextLimits, RecentChunks } from './contextBuilder';

const FEED_DELAY_MS = 350;

/** Documents the completion provider and the feed work on. */
export const CODE_DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];
const NOT_CODE = new Set(['plaintext', 'log', 'scminput', 'git-commit', 'git-rebase', 'search-result']);

export function isCodeDocument(document: vscode.TextDocument): boolean {
  return vscode.languages.match(CODE_DOCUMENTS, document) > 0 && !NOT_CODE.has(document.languageId);
}

export class EditorFeed implements vscode.Disposable {
  private readonly recent: RecentChunks;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastEditor: { document: vscode.TextDocument; offset: number } | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly limits: () => ContextLimits,
    private readonly enabled: () => boolean,
  ) {
    this.recent = new RecentChunks(limits);
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => this.switched(editor)),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === vscode.window.activeTextEditor?.document) this.schedule();
      }),
    );
    this.switched(vscode.window.activeTextEditor);
  }

  /** The editor stream's content for a completion at `position` in `document`. */
  contextFor(document: vscode.TextDocument, position: vscode.Position): EditorContext {
    const path = vscode.workspace.asRelativePath(document.uri, false);
    return buildEditorContext(
      document.getText(),
      document.offsetAt(position),
      path,
      document.languageId,
      this.recent.for(path),
      this.limits(),
    );
  }

  /** Forgets remembered chunks (with a reset of the editor stream). */
  clear(): void {
    this.recent.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private switched(editor: vscode.TextEditor | undefined): void {
    const left = this.lastEditor;
    if (left && left.document !== editor?.document && !left.document.isClosed && isCodeDocument(left.document)) {
      this.recent.remember(vscode.workspace.asRelativePath(left.document.uri, false), left.document.getText(), left.offset);
    }
    this.schedule();
  }

  private schedule(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor && isCodeDocument(editor.document)) {
      this.lastEditor = { document: editor.document, offset: editor.document.offsetAt(editor.selection.active) };
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.feedNow(), FEED_DELAY_MS);
  }

  private feedNow(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.enabled() || !isCodeDocument(editor.document)) return;
    this.engine.feed(this.contextFor(editor.document, editor.selection.active));
  }
}
