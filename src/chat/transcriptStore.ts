// The chat transcript, saved per workspace after every message and restored on reload.
// Stored values are validated on load: a damaged entry is dropped, never trusted.
import type { FinishReason } from '../engine/protocol';
import type { ViewMessage } from '../webview/protocol';

/** What is saved for each message: the view plus the text the model saw. */
export interface StoredMessage extends ViewMessage {
  /** The message as sent to the model (user text with attached context folded in). */
  content: string;
}

/** The part of vscode.Memento the store needs (workspaceState satisfies it). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'endless.chat.transcript';
const FORMAT = 1;
const FINISH: readonly string[] = ['eos', 'stop', 'length', 'time', 'cancelled', 'superseded'];

export class TranscriptStore {
  constructor(private readonly store: KeyValueStore) {}

  load(): StoredMessage[] {
    const saved = this.store.get<unknown>(KEY);
    if (typeof saved !== 'object' || saved === null) return [];
    const { format, messages } = saved as { format?: unknown; messages?: unknown };
    if (format !== FORMAT || !Array.isArray(messages)) return [];
    return messages.flatMap((message) => {
      const valid = toStored(message);
      return valid ? [valid] : [];
    });
  }

  save(messages: readonly StoredMessage[]): Thenable<void> {
    return this.store.update(KEY, { format: FORMAT, messages });
  }
}

function toStored(value: unknown): StoredMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { role, text, content, attachments, finish, error } = value as Record<string, unknown>;
  if (role !== 'user' && role !== 'assistant') return undefined;
  if (typeof text !== 'string' || typeof content !== 'string') return undefined;
  if (!Array.isArray(attachments) || !attachments.every((label) => typeof label === 'string')) return undefined;
  const message: StoredMessage = { role, text, content, attachments };
  if (typeof finish === 'string' && FINISH.includes(finish)) message.finish = finish as FinishReason;
  if (typeof error === 'string') message.error = error;
  return message;
}
