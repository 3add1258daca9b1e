// Keeps the editor stream warm from VS Code's events: edits, cursor moves and editor switches
// go to the feed scheduler (feedScheduler.ts says when each feeds), and code from files the user
// leaves flows through the editor window as context chunks.
import * as vscode from 'vscode';
import type { EditorContext } from '../engine/protocol';
import type { EngineClient } from '../host/engineClient';
import type { ContextLimits } from './contextBuilder';
import { type CursorSnapshot, FeedScheduler } from './feedScheduler';

/** Documents the completion provider and the feed work on. */
export const CODE_DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];
const NOT_CODE = new Set(['plaintext', 'log', 'scminput', 'git-commit', 'git-rebase', 'search-result']);

export function isCodeDocument(document: vscode.TextDocument): boolean {
  return vscode.languages.match(CODE_DOCUMENTS, document) > 0 && !NOT_CODE.has(document.languageId);
}

/** The completion logic's view of a document with its cursor at `offset`. */
export function snapshotOf(document: vscode.TextDocument, offset: number): CursorSnapshot {
  return {
    document: document.uri.toString(),
    path: vscode.workspace.asRelativePath(document.uri, false),
    languageId: document.languageId,
    text: document.getText(),
    offset,
  };
}

export class EditorFeed implements vscode.Disposable {
  private readonly scheduler: FeedScheduler;
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastEditor: { document: vscode.TextDocument; offset: number } | undefined;

  constructor(engine: EngineClient, limits: () => ContextLimits, enabled: () => boolean) {
    this.scheduler = new FeedScheduler(engine, limits, enabled, () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || !isCodeDocument(editor.document)) return undefined;
      return snapshotOf(editor.document, editor.document.offsetAt(editor.selection.active));
    });
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => this.switched(editor)),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor !== vscode.window.activeTextEditor) return;
        this.track();
        this.scheduler.moved();
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document !== vscode.window.activeTextEditor?.document || event.contentChanges.length === 0) return;
        this.track();
        this.scheduler.edited();
      }),
    );
    this.switched(vscode.window.activeTextEditor);
  }

  /** The editor stream's content for a completion at `snapshot`'s cursor. */
  contextAt(snapshot: CursorSnapshot): EditorContext {
    return this.scheduler.contextAt(snapshot);
  }

  /** Forgets remembered chunks (with a reset of the editor stream). */
  clear(): void {
    this.scheduler.clear();
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private switched(editor: vscode.TextEditor | undefined): void {
    const left = this.lastEditor;
    const leaving = left && left.document !== editor?.document && !left.document.isClosed && isCodeDocument(left.document);
    this.track();
    this.scheduler.switched(leaving ? snapshotOf(left.document, left.offset) : undefined);
  }

  /** Remembers where the cursor is, for the chunk taken when the user leaves the file. */
  private track(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor && isCodeDocument(editor.document)) {
      this.lastEditor = { document: editor.document, offset: editor.document.offsetAt(editor.selection.active) };
    }
  }
}
