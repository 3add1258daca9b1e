// One endless chat: its newest messages, the reply being written, Stop and New session. The
// panel and the extension API both drive it, so a message sent either way looks the same.
// A turn costs the same however long the chat: the worker is sent only the messages it does
// not hold yet, memory keeps a bounded tail, and each message is appended to the log once.
// No `vscode` here; the panel adapts it to a webview.
import type { ChatTurn, GenerateOptions, SeqChatMessage, Usage } from '../engine/protocol';
import { EngineRequestError, type EngineClient, type Finished, type Generation } from '../host/engineClient';
import { Listeners } from '../host/listeners';
import type { ViewMessage } from '../webview/protocol';
import { composeUserContent, type Attachment } from './attachments';
import type { StoredMessage, TranscriptLog } from './transcriptLog';

export type ChatEvent =
  | { type: 'transcript' }
  | { type: 'token'; text: string }
  /** The message could not be sent; `text` goes back into the input. */
  | { type: 'sendFailed'; text: string; error: string }
  /** Something the user should know about the last turn (e.g. a message clipped to fit the window). */
  | { type: 'notice'; text: string };

export type SendResult = { accepted: true; reply: Promise<string> } | { accepted: false; error: string };

/** A message as the panel shows it, with the id that pages back from it. */
export type ViewMessageWithId = ViewMessage & { id: number };

export interface ChatSessionOptions {
  /** Generation options of the next reply. */
  generateOptions: () => GenerateOptions;
  /** Characters of the newest messages sent when the worker's chat stream starts over. */
  restartChars: () => number;
  /** Messages kept in memory (older ones are read back from the log on demand). */
  recentMessages?: number;
}

const RECENT_MESSAGES = 200;

export class ChatSession {
  readonly onEvent = new Listeners<ChatEvent>();
  private messages: StoredMessage[];
  private running: Generation | undefined;
  /**
   * The last Stop: its reply ends as stopped even if the model finished it meanwhile, cut to
   * what the panel had shown (`shownChars`) when the panel said.
   */
  private stopRequest: { generation: Generation; shownChars: number | undefined } | undefined;
  /** The last message the worker's chat stream holds; null when it must start over. */
  private held: number | null = null;
  private readonly recent: number;
  /** False once older messages of this chat live only in the log. */
  private memoryHoldsWholeChat = true;
  /** What the worker reported for the last finished reply. */
  lastUsage: Usage | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly log: TranscriptLog,
    private readonly options: ChatSessionOptions,
  ) {
    this.recent = options.recentMessages ?? RECENT_MESSAGES;
    this.messages = log.restore(this.recent);
    this.memoryHoldsWholeChat = this.messages.length < this.recent;
    // A worker that starts (again) holds nothing of this chat.
    engine.onState.on((state) => {
      if (state.kind !== 'ready') this.held = null;
    });
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Whether messages older than those in memory exist (in the log). */
  get hasOlderThanMemory(): boolean {
    return !this.memoryHoldsWholeChat;
  }

  /** The newest messages (a bounded number), oldest first. */
  view(): ViewMessageWithId[] {
    return this.messages.map(({ content: _content, ...view }) => view);
  }

  /** The newest messages as the model saw them, oldest first. */
  transcript(): { role: 'user' | 'assistant'; content: string }[] {
    return this.messages.map(({ role, content }) => ({ role, content }));
  }

  /**
   * Up to `limit` messages of this chat older than message `beforeId`, oldest first (empty at
   * the start of the chat): what the panel shows when the user scrolls back.
   */
  async olderThan(beforeId: number, limit: number): Promise<ViewMessageWithId[]> {
    const at = this.messages.findIndex((message) => message.id === beforeId);
    const inMemory = at > 0 ? this.messages.slice(Math.max(0, at - limit), at) : [];
    const rest = limit - inMemory.length;
    const first = inMemory[0]?.id ?? beforeId;
    const fromLog = rest > 0 ? await this.log.pageBefore(first, rest) : [];
    return [...fromLog, ...inMemory].map(({ content: _content, ...view }) => view);
  }

  /** Re-reads the newest messages from the log (after messages were added to it from elsewhere). */
  reload(): void {
    if (this.running) return;
    this.messages = this.log.restore(this.recent);
    this.memoryHoldsWholeChat = this.messages.length < this.recent;
    this.held = null;
    this.onEvent.fire({ type: 'transcript' });
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
      id: this.log.nextId(),
      role: 'user',
      text,
      content: composeUserContent(text, attachments),
      attachments: attachments.map((attachment) => attachment.label),
    };
    const history = [...this.messages, user];
    const reply: StoredMessage = { id: this.log.nextId(), role: 'assistant', text: '', content: '', attachments: [] };
    const generation = this.request(history, (piece) => {
      // A reply abandoned by New session may still deliver a last token; it belongs nowhere.
      if (this.running !== generation) return;
      reply.text += piece;
      onToken?.(piece);
      this.onEvent.fire({ type: 'token', text: piece });
    });
    // Busy before anyone hears of the new message, so views show it as being written.
    this.running = generation;
    this.push(user, reply);
    // The user's message is saved now; the reply once it is complete.
    void this.log.append(user);
    this.onEvent.fire({ type: 'transcript' });

    const finished = generation.done.then(
      (done) => {
        if (this.running === generation) this.held = done.chatHeld ?? null;
        this.lastUsage = done.usage;
        const clipped = done.usage?.clipped ?? 0;
        if (clipped > 0) {
          this.onEvent.fire({
            type: 'notice',
            text: `The message was longer than the chat window: its first ${clipped} tokens were left out, and the model saw the rest.`,
          });
        }
        // What streamed is what the user saw; the final text only matters if nothing streamed.
        if (reply.text.length === 0) reply.text = done.text;
        // A Stop that crossed the reply's last tokens on their way still stops it: the user
        // keeps what they saw, as with any other Stop.
        const stop = this.stopRequest?.generation === generation ? this.stopRequest : undefined;
        if (stop?.shownChars !== undefined) reply.text = reply.text.slice(0, stop.shownChars);
        reply.content = reply.text;
        reply.finish = stop ? 'cancelled' : done.reason;
        return reply.text;
      },
      (error: Error) => {
        this.held = null;
        if (reply.text.length === 0) {
          // Nothing was written: take the message back so the user can simply send it again.
          this.messages = this.messages.filter((message) => message !== user && message !== reply);
          void this.log.drop(user.id);
          this.onEvent.fire({ type: 'sendFailed', text, error: error.message });
        } else {
          reply.content = reply.text;
          reply.error = error.message;
        }
        throw error;
      },
    );
    const settled = finished.finally(() => {
      const current = this.running === generation;
      if (current) this.running = undefined;
      // A reply abandoned by New session belongs to a chat that is over.
      if (current && this.messages.includes(reply)) void this.log.append(reply);
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
    this.stopRequest = { generation: this.running, shownChars };
    this.running.cancel();
  }

  /**
   * Forgets the chat and starts the chat stream cold. The reset reaches a ready worker before
   * anything sent after this call, so a message sent right after it is not cancelled by it.
   */
  newSession(): Promise<void> {
    this.stop();
    this.running = undefined;
    this.messages = [];
    this.memoryHoldsWholeChat = true;
    this.held = null;
    const reset = this.engine.state.kind === 'ready' ? this.engine.reset('chat') : Promise.resolve();
    const saved = this.log.startNewChat();
    this.onEvent.fire({ type: 'transcript' });
    return Promise.all([reset, saved]).then(() => undefined);
  }

  /** Pins another system prompt: the chat stream starts over with it; the model stays loaded. */
  repin(prompt: string): Promise<void> {
    this.held = null;
    return this.engine.reset('chat', prompt);
  }

  private push(...added: StoredMessage[]): void {
    this.messages.push(...added);
    // Memory keeps a bounded tail; the log has the rest.
    if (this.messages.length > this.recent * 2) {
      this.messages.splice(0, this.messages.length - this.recent);
      this.memoryHoldsWholeChat = false;
    }
  }

  /**
   * Asks for a reply to the last message of `history`. The worker gets only what it does not
   * hold yet; a worker that holds less than thought (it restarted, or its window moved past the
   * last message it held) is sent the newest messages again from a cold start.
   */
  private request(history: readonly StoredMessage[], onToken: (piece: string) => void): Generation {
    const options = this.options.generateOptions();
    const continuing = this.held === null ? undefined : continuingTurn(history, this.held);
    let current = this.engine.chat(continuing ?? coldTurn(history, this.options.restartChars()), options, onToken);
    let cancelled = false;
    const done: Promise<Finished> = current.done.catch((error: unknown) => {
      const outOfStep = error instanceof EngineRequestError && error.code === 'chatOutOfStep';
      if (!outOfStep || !continuing || cancelled) throw error;
      current = this.engine.chat(coldTurn(history, this.options.restartChars()), options, onToken);
      return current.done;
    });
    return {
      done,
      cancel: () => {
        cancelled = true;
        current.cancel();
      },
    };
  }
}

/** Messages the model should see: errored replies have no content worth showing it again. */
function usable(message: StoredMessage): boolean {
  return !(message.role === 'assistant' && message.error !== undefined);
}

function toTurnMessage({ id, role, content }: StoredMessage): SeqChatMessage {
  return { seq: id, role, content };
}

/** The messages after `held`, or undefined when `held` is not among the newest messages. */
function continuingTurn(history: readonly StoredMessage[], held: number): ChatTurn | undefined {
  let at = history.length - 1;
  while (at >= 0 && history[at].id !== held) at--;
  if (at < 0) return undefined;
  return { after: held, messages: history.slice(at + 1).filter(usable).map(toTurnMessage) };
}

/** The newest messages, about `chars` of them, starting with a user message. */
function coldTurn(history: readonly StoredMessage[], chars: number): ChatTurn {
  const messages: SeqChatMessage[] = [];
  let total = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i];
    if (!usable(message)) continue;
    if (messages.length > 0 && total + message.content.length > chars) break;
    messages.unshift(toTurnMessage(message));
    total += message.content.length;
  }
  while (messages.length > 1 && messages[0].role !== 'user') messages.shift();
  return { after: null, messages };
}
