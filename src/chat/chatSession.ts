// One endless chat: the transcript, the reply being written, Stop and New session. The panel
// and the extension API both drive it, so a message sent either way looks the same.
// No `vscode` here; the panel adapts it to a webview.
import type { ChatMessage, GenerateOptions } from '../engine/protocol';
import type { EngineClient, Generation } from '../host/engineClient';
import { Listeners } from '../host/listeners';
import type { ViewMessage } from '../webview/protocol';
import { composeUserContent, type Attachment } from './attachments';
import type { StoredMessage, TranscriptStore } from './transcriptStore';

export type ChatEvent =
  | { type: 'transcript' }
  | { type: 'token'; text: string }
  /** The message could not be sent; `text` goes back into the input. */
  | { type: 'sendFailed'; text: string; error: string };

export type SendResult = { accepted: true; reply: Promise<string> } | { accepted: false; error: string };

export class ChatSession {
  readonly onEvent = new Listeners<ChatEvent>();
  private messages: StoredMessage[];
  private running: Generation | undefined;
  /** Set by a Stop from the panel: the reply is cut to what the user had seen. */
  private keepChars: number | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly store: TranscriptStore,
    private readonly generateOptions: () => GenerateOptions,
  ) {
    this.messages = store.load();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  view(): ViewMessage[] {
    return this.messages.map(({ content: _content, ...view }) => view);
  }

  transcript(): ChatMessage[] {
    return this.messages.map(({ role, content }) => ({ role, content }));
  }

  /**
   * Starts a reply to `text` (with `attachments` folded in). Refused while a reply is being
   * written or when there is nothing to send.
   */
  send(text: string, attachments: readonly Attachment[] = [], onToken?: (piece: string) => void): SendResult {
    if (this.running) return { accepted: false, error: 'A reply is still being written. Stop it first.' };
    if (text.trim().length === 0 && attachments.length === 0) return { accepted: false, error: 'Type a message first.' };
    const engineState = this.engine.state;
    if (engineState.kind === 'failed') return { accepted: false, error: `The model is not loaded: ${engineState.message}` };

    const user: StoredMessage = {
      role: 'user',
      text,
      content: composeUserContent(text, attachments),
      attachments: attachments.map((attachment) => attachment.label),
    };
    // Errored replies have no content worth showing the model again.
    const history = this.messages.filter((message) => !(message.role === 'assistant' && message.error));
    const request = [...history, user].map(({ role, content }): ChatMessage => ({ role, content }));
    const reply: StoredMessage = { role: 'assistant', text: '', content: '', attachments: [] };
    const generation: Generation = this.engine.chat(request, this.generateOptions(), (piece) => {
      // A reply abandoned by New session may still deliver a last token; it belongs nowhere.
      if (this.running !== generation) return;
      reply.text += piece;
      onToken?.(piece);
      this.onEvent.fire({ type: 'token', text: piece });
    });
    // Busy before anyone hears of the new message, so views show it as being written.
    this.running = generation;
    this.keepChars = undefined;
    this.messages.push(user, reply);
    // The user's message is saved now; the reply once it is complete.
    void this.store.save(this.messages.filter((message) => message !== reply));
    this.onEvent.fire({ type: 'transcript' });

    const finished = generation.done.then(
      (done) => {
        // What streamed is what the user saw; the final text only matters if nothing streamed.
        if (reply.text.length === 0) reply.text = done.text;
        if (done.reason === 'cancelled' && this.keepChars !== undefined && this.running === generation) {
          reply.text = reply.text.slice(0, this.keepChars);
        }
        reply.content = reply.text;
        reply.finish = done.reason;
        return reply.text;
      },
      (error: Error) => {
        if (reply.text.length === 0) {
          // Nothing was written: take the message back so the user can simply send it again.
          this.messages = this.messages.filter((message) => message !== user && message !== reply);
          this.onEvent.fire({ type: 'sendFailed', text, error: error.message });
        } else {
          reply.content = reply.text;
          reply.error = error.message;
        }
        throw error;
      },
    );
    const settled = finished.finally(() => {
      if (this.running === generation) this.running = undefined;
      void this.store.save(this.messages);
      this.onEvent.fire({ type: 'transcript' });
    });
    // Callers that ignore the reply must not see an unhandled rejection.
    settled.catch(() => undefined);
    return { accepted: true, reply: settled };
  }

  /**
   * Ends the reply being written at once; what was written so far is kept. `shownChars` (from
   * the panel) cuts the reply to what the user had seen: tokens still in transit when Stop was
   * clicked would otherwise keep the reply growing after it.
   */
  stop(shownChars?: number): void {
    if (!this.running) return;
    this.keepChars = shownChars;
    this.running.cancel();
  }

  /** Forgets the transcript and starts the chat stream cold. */
  async newSession(): Promise<void> {
    this.stop();
    this.running = undefined;
    this.messages = [];
    await this.store.save(this.messages);
    this.onEvent.fire({ type: 'transcript' });
    if (this.engine.state.kind === 'ready') await this.engine.reset('chat');
  }
}
