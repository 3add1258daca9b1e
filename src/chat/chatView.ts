// The "Chat" webview view: hosts the panel page, validates every message from it, and keeps
// it in step with the chat session, the engine's state and the cache statistics.
import * as vscode from 'vscode';
import { plannedWindow, type Settings } from '../config/settings';
import type { EngineClient, EngineState } from '../host/engineClient';
import type { Subscription } from '../host/listeners';
import {
  type AttachmentChip,
  type EngineView,
  type HostToWebview,
  PANEL_PAGE_SIZE,
  type PanelMessage,
  parseWebviewToHost,
  type WebviewToHost,
} from '../webview/protocol';
import { type Attachment, attachmentBudgetChars } from './attachments';
import type { ChatSession } from './chatSession';
import { runCodeAction } from './codeActions';
import { attachmentFromEditor } from './editorAttachments';
import { panelHtml } from './panelHtml';
import { TokenBatcher } from './tokenBatcher';

export const CHAT_VIEW_ID = 'endless.chat';

/** A page of the transcript, oldest first; `hasOlder` when more messages lie before it. */
export interface MessagePage {
  messages: PanelMessage[];
  hasOlder: boolean;
}

/**
 * The transcript as the panel reads it: never whole, a page at a time. Ids are the panel's
 * handle on a message and must stay the same for as long as the message is in the transcript.
 */
export interface PanelTranscript {
  /** The newest `limit` messages. */
  latest(limit: number): MessagePage;
  /** Up to `limit` messages just before message `beforeId` (an empty page if it is unknown). */
  olderThan(beforeId: string, limit: number): MessagePage | Promise<MessagePage>;
}

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private attachments: Attachment[] = [];
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscriptions: (vscode.Disposable | Subscription)[];
  private readonly tokens = new TokenBatcher((id, text) => this.postNow({ type: 'token', id, text }));
  /** The newest message the panel has, and the reply it shows as being written. */
  private lastShown: string | undefined;
  private liveShown: string | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly transcript: PanelTranscript,
    private readonly engine: EngineClient,
    private readonly settings: () => Settings,
    private readonly log: (line: string) => void,
  ) {
    this.subscriptions = [
      session.onEvent.on((event) => {
        if (event.type === 'token') {
          if (this.liveShown) this.tokens.add(this.liveShown, event.text);
        } else if (event.type === 'transcript') this.postNewMessages();
        else if (event.type === 'notice') this.post({ type: 'notice', text: event.text });
        else this.post({ type: 'sendFailed', text: event.text, error: event.error });
      }),
      engine.onState.on(() => this.postEngine()),
      engine.onStats.on((stats) => this.post({ type: 'stats', stats })),
      // The webview takes focus from the editor; remember where "insert at cursor" should go.
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.lastEditor = editor;
      }),
    ];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = panelHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'chat.css')).toString(),
    });
    const receiver = view.webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = parseWebviewToHost(raw);
      if (!parsed.ok) {
        this.log(`ignored a malformed message from the chat panel: ${parsed.error}`);
        return;
      }
      void this.receive(parsed.message).catch((error: Error) => this.log(`chat panel action failed: ${error.message}`));
    });
    view.onDidDispose(() => {
      receiver.dispose();
      if (this.view === view) {
        this.view = undefined;
        this.tokens.clear();
      }
    });
  }

  /** Reveals the panel and puts the cursor in its input. */
  async show(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    this.post({ type: 'focusInput' });
  }

  dispose(): void {
    this.tokens.clear();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async receive(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.postEngine();
        // The last statistics at once: the cache bars show the real state, not zero until the next change.
        if (this.engine.stats) this.post({ type: 'stats', stats: this.engine.stats });
        this.postLatest();
        this.postAttachments();
        return;
      case 'loadLatest':
        this.postLatest();
        return;
      case 'loadOlder': {
        const page = await this.transcript.olderThan(message.before, PANEL_PAGE_SIZE);
        this.post({ type: 'older', before: message.before, ...page });
        return;
      }
      case 'send': {
        const result = this.session.send(message.text, this.attachments);
        if (!result.accepted) {
          this.post({ type: 'sendFailed', text: message.text, error: result.error });
          return;
        }
        this.post({ type: 'sendAccepted' });
        this.attachments = [];
        this.postAttachments();
        await result.reply.catch(() => undefined);
        return;
      }
      case 'stop':
        this.session.stop(message.shownChars);
        return;
      case 'newSession':
        this.attachments = [];
        this.postAttachments();
        await this.session.newSession();
        return;
      case 'attach': {
        const used = this.attachments.reduce((sum, attachment) => sum + attachment.text.length, 0);
        const budget = attachmentBudgetChars(plannedWindow(this.settings())) - used;
        const result = attachmentFromEditor(vscode.window.activeTextEditor ?? this.lastEditor, message.what, budget);
        if (!result.ok) {
          void vscode.window.showInformationMessage(`Endless: ${result.error}`);
          return;
        }
        this.attachments.push(result.attachment);
        this.postAttachments();
        return;
      }
      case 'removeAttachment':
        this.attachments = this.attachments.filter((attachment) => attachment.id !== message.id);
        this.postAttachments();
        return;
      case 'codeAction':
        await runCodeAction(message.action, message.code, message.language, vscode.window.activeTextEditor ?? this.lastEditor);
        return;
    }
  }

  private postEngine(): void {
    const { sinks, window: configured } = this.engine.engineConfig;
    const state = this.engine.state;
    // A window setting of 0 means "derived from the model": once loaded, show the window it got.
    const window = state.kind === 'ready' ? state.model.window : configured;
    this.post({ type: 'engine', engine: { ...engineView(state), sinks, window } });
  }

  /** Replaces what the panel shows with the newest page of the transcript. */
  private postLatest(): void {
    const page = this.transcript.latest(PANEL_PAGE_SIZE);
    const streaming = this.session.busy;
    this.post({ type: 'transcript', ...page, streaming });
    this.remember(page.messages, streaming);
  }

  /**
   * Sends the panel only what changed since it last heard: new messages, and the reply it
   * showed as being written if that one has now finished. A transcript that no longer holds
   * the newest message the panel has (a new session) is sent as a fresh page.
   */
  private postNewMessages(): void {
    const page = this.transcript.latest(PANEL_PAGE_SIZE);
    const at = this.lastShown === undefined ? -1 : page.messages.findIndex((message) => message.id === this.lastShown);
    if (at < 0) {
      this.postLatest();
      return;
    }
    const streaming = this.session.busy;
    const from = this.liveShown === this.lastShown ? at : at + 1;
    this.post({ type: 'append', messages: page.messages.slice(from), streaming });
    this.remember(page.messages, streaming);
  }

  private remember(messages: PanelMessage[], streaming: boolean): void {
    const last = messages[messages.length - 1];
    this.lastShown = last?.id;
    this.liveShown = streaming && last?.role === 'assistant' ? last.id : undefined;
  }

  private postAttachments(): void {
    const chips: AttachmentChip[] = this.attachments.map(({ id, label, text, clippedNotice }) => ({
      id,
      label,
      chars: text.length,
      clippedNotice,
    }));
    this.post({ type: 'attachments', chips });
  }

  /** Posts `message` after the tokens still queued, so the panel sees everything in order. */
  private post(message: HostToWebview): void {
    this.tokens.flush();
    this.postNow(message);
  }

  private postNow(message: HostToWebview): void {
    void this.view?.webview.postMessage(message);
  }
}

function engineView(state: EngineState): EngineView {
  switch (state.kind) {
    case 'ready':
      return { phase: 'ready', model: state.model };
    case 'failed':
      return { phase: 'failed', message: state.message };
    case 'restarting':
      return { phase: 'restarting', message: state.reason };
    default:
      return { phase: state.kind };
  }
}
