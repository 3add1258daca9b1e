// The chat session's transcript as the panel reads it: the newest page from memory, and older
// pages from the session (memory first, then the transcript log). Ids are the log's message ids,
// which never name two different messages.
import type { PanelMessage, ViewMessage } from '../webview/protocol';
import type { ChatSession } from './chatSession';
import type { MessagePage, PanelTranscript } from './chatView';

export function sessionPages(session: ChatSession): PanelTranscript {
  return {
    latest(limit) {
      const messages = session.view();
      const start = Math.max(0, messages.length - limit);
      return {
        messages: messages.slice(start).map((message) => toPanelMessage(message, message.id)),
        hasOlder: start > 0 || session.hasOlderThanMemory,
      };
    },
    async olderThan(beforeId, limit) {
      const id = Number(beforeId);
      if (!Number.isSafeInteger(id)) return { messages: [], hasOlder: false };
      const older = await session.olderThan(id, limit);
      return { messages: older.map((message) => toPanelMessage(message, message.id)), hasOlder: older.length === limit };
    },
  };
}

/** Only what the panel shows: the text the model saw (with attachments folded in) stays here. */
function toPanelMessage({ role, text, attachments, finish, error, notice }: ViewMessage, id: number): PanelMessage {
  return { id: String(id), role, text, attachments, finish, error, notice };
}
