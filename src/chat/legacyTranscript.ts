// Transcripts saved by earlier versions lived whole in workspaceState. They move into the log
// once, and workspaceState keeps nothing of them.
import { toStored, type TranscriptLog } from './transcriptLog';

/** The part of vscode.Memento needed here (workspaceState satisfies it). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'endless.chat.transcript';

/** Appends a transcript saved the old way to `log` and removes it from `state`. */
export async function migrateLegacyTranscript(state: KeyValueStore, log: TranscriptLog): Promise<number> {
  const saved = state.get<unknown>(KEY);
  if (saved === undefined) return 0;
  const messages = typeof saved === 'object' && saved !== null ? (saved as { messages?: unknown }).messages : undefined;
  let moved = 0;
  if (Array.isArray(messages)) {
    for (const value of messages) {
      if (typeof value !== 'object' || value === null) continue;
      const message = toStored({ ...(value as Record<string, unknown>), id: log.nextId() });
      if (!message) continue;
      await log.append(message);
      moved++;
    }
  }
  await log.flush();
  await state.update(KEY, undefined);
  return moved;
}
