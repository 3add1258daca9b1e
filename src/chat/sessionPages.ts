// The chat session's transcript as the panel reads it: the newest page, and the page before a
// message. Ids are the message's place in the transcript, under a generation that changes
// whenever the transcript shrinks (a new session, a message taken back after a failed send),
// so an id never names two different messages.
import type { PanelMessage, ViewMessage } from '../webview/protocol';
import type { ChatSession } from './chatSession';
import type { MessagePage, PanelTranscript } from './chatView';

export function sessionPages(session: ChatSession): PanelTranscript {
  let generation = 0;
  let seen = 0;
  const view = () => {
    const messages = session.view();
    if (messages.length < seen) generation++;
    seen = messages.length;
    return messages;
  };
  const page = (messages: ReturnType<ChatSession['view']>, start: number, end: number): MessagePage => ({
    messages: messages.slice(start, end).map((message, offset) => toPanelMessage(message, `${generation}:${start + offset}`)),
    hasOlder: start > 0,
  });
  return {
    latest(limit) {
      const messages = view();
      return page(messages, Math.max(0, messages.length - limit), messages.length);
    },
    olderThan(beforeId, limit) {
      const messages = view();
      const [idGeneration, index] = beforeId.split(':').map(Number);
      if (idGeneration !== generation || !Number.isInteger(index) || index < 0 || index > messages.length) return { messages: [], hasOlder: false };
      return page(messages, Math.max(0, index - limit), index);
    },
  };
}

/** Only what the panel shows: the text the model saw (with attachments folded in) stays here. */
function toPanelMessage({ role, text, attachments, finish, error, notice }: ViewMessage, id: string): PanelMessage {
  return { id, role, text, attachments, finish, error, notice };
}
