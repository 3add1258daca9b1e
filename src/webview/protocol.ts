// The message protocol between the extension host and the chat panel's webview. Both ends
// import these types, and each end validates what arrives before acting on it: the webview
// is a separate page, so nothing it sends is trusted to have the right shape.
import type { EngineStats, FinishReason, ModelInfo, StreamId } from '../engine/protocol';

/** One message as the panel shows it. */
export interface ViewMessage {
  role: 'user' | 'assistant';
  /** Markdown for assistant replies, plain text for user messages. */
  text: string;
  /** Labels of the context attached to a user message. */
  attachments: string[];
  /** How an assistant reply ended, once it has. */
  finish?: FinishReason;
  /** Set when the reply failed; shown under the message. */
  error?: string;
  /** Something the user should know about this message, e.g. that only its end fitted the model's window. */
  notice?: string;
}

/** A message as it travels to the panel: `id` is stable for the message's life in the transcript. */
export interface PanelMessage extends ViewMessage {
  id: string;
}

/**
 * The panel keeps at most this many messages in its DOM; older ones are dropped from the top
 * and loaded again from the host, a page at a time, when the user scrolls up to them.
 */
export const PANEL_MESSAGE_CAP = 200;
/** Messages per page: the newest page on load, and each page of older messages. */
export const PANEL_PAGE_SIZE = 50;

export interface AttachmentChip {
  id: string;
  label: string;
  /** Characters kept after clipping. */
  chars: number;
  /** Set when the context was clipped to fit; says what was kept. */
  clippedNotice?: string;
}

export type EnginePhase = 'idle' | 'starting' | 'ready' | 'failed' | 'restarting' | 'stopped';

export interface EngineView {
  phase: EnginePhase;
  model?: ModelInfo;
  /** Why the engine failed or is restarting. */
  message?: string;
  /** Configured attention-sink tokens and window size (the statistics count what is in use). */
  sinks?: number;
  window?: number;
}

export type HostToWebview =
  /**
   * Replaces what the panel shows with the newest page of the transcript. `hasOlder`: more
   * messages lie before it. `streaming`: the last message is still being written.
   */
  | { type: 'transcript'; messages: PanelMessage[]; hasOlder: boolean; streaming: boolean }
  /** New messages at the end, or a new state of messages already shown (same id): never the whole transcript. */
  | { type: 'append'; messages: PanelMessage[]; streaming: boolean }
  /** The page of messages just before message `before` (answer to `loadOlder`). */
  | { type: 'older'; before: string; messages: PanelMessage[]; hasOlder: boolean }
  /** Text appended to the reply `id` being written (the tokens of about one frame). */
  | { type: 'token'; id: string; text: string }
  /** A notice for the user about the chat (not tied to one message), shown above the input. */
  | { type: 'notice'; text: string }
  /** The host took the message: the input may be cleared. */
  | { type: 'sendAccepted' }
  /** The message was not sent; the input keeps (or gets back) `text`. */
  | { type: 'sendFailed'; text: string; error: string }
  | { type: 'attachments'; chips: AttachmentChip[] }
  | { type: 'engine'; engine: EngineView }
  | { type: 'stats'; stats: EngineStats }
  | { type: 'focusInput' };

export type AttachKind = 'selection' | 'file';
export type CodeAction = 'copy' | 'insert' | 'newFile';

export type WebviewToHost =
  /** The page has loaded and wants the current state. */
  | { type: 'ready' }
  | { type: 'send'; text: string }
  /**
   * Stop the reply. `shownChars`: how much of it the panel had shown when the user clicked;
   * text still in transit is dropped, so the reply ends where the user stopped it.
   */
  | { type: 'stop'; shownChars?: number }
  | { type: 'newSession' }
  /** The user scrolled up to the oldest message shown, `before`: send the page before it. */
  | { type: 'loadOlder'; before: string }
  /** The user asked to go back to the newest messages (after reading far back). */
  | { type: 'loadLatest' }
  | { type: 'attach'; what: AttachKind }
  | { type: 'removeAttachment'; id: string }
  | { type: 'codeAction'; action: CodeAction; code: string; language: string };

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

type Record_ = Record<string, unknown>;

const isRecord = (value: unknown): value is Record_ =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

const FINISH_REASONS: readonly string[] = ['eos', 'stop', 'length', 'time', 'cancelled', 'superseded'];
const PHASES: readonly string[] = ['idle', 'starting', 'ready', 'failed', 'restarting', 'stopped'];
const STREAMS: readonly StreamId[] = ['chat', 'editor'];
const STREAM_NUMBERS = [
  'capacity', 'sinks', 'pinned', 'window', 'windowCapacity', 'free', 'totalTokens', 'evictions',
  'tokensEvicted', 'lastEvictionMs', 'prefillTokensPerSec', 'decodeTokensPerSec', 'lastPrefillMs',
  'lastRequestLatencyMs',
] as const;
const MODEL_NUMBERS = ['layers', 'kvHeads', 'headDim', 'vocabSize', 'maxPositionEmbeddings'] as const;

/** Maximum length of text the webview may send in one message (a long paste is fine; a runaway is not). */
export const MAX_MESSAGE_CHARS = 200_000;
/** Longest message id either end accepts. */
const MAX_ID_CHARS = 200;
const isId = (value: unknown): value is string => isString(value) && value.length > 0 && value.length <= MAX_ID_CHARS;

/** Validates a message from the webview. */
export function parseWebviewToHost(value: unknown): Parsed<WebviewToHost> {
  if (!isRecord(value) || !isString(value.type)) return fail('a message must be an object with a string "type"');
  switch (value.type) {
    case 'ready':
    case 'newSession':
    case 'loadLatest':
      return { ok: true, message: { type: value.type } };
    case 'loadOlder':
      if (!isId(value.before)) return fail(`"loadOlder" needs "before": a message id of 1 to ${MAX_ID_CHARS} characters`);
      return { ok: true, message: { type: 'loadOlder', before: value.before } };
    case 'stop': {
      const shown = value.shownChars;
      if (shown === undefined) return { ok: true, message: { type: 'stop' } };
      if (!isNumber(shown) || !Number.isInteger(shown) || shown < 0) return fail('"stop" needs "shownChars" as a whole number ≥ 0');
      return { ok: true, message: { type: 'stop', shownChars: shown } };
    }
    case 'send':
      if (!isString(value.text)) return fail('"send" needs a string "text"');
      if (value.text.length > MAX_MESSAGE_CHARS) return fail(`"send" text is longer than ${MAX_MESSAGE_CHARS} characters`);
      return { ok: true, message: { type: 'send', text: value.text } };
    case 'attach':
      if (value.what !== 'selection' && value.what !== 'file') return fail('"attach" needs "what": "selection" or "file"');
      return { ok: true, message: { type: 'attach', what: value.what } };
    case 'removeAttachment':
      if (!isString(value.id)) return fail('"removeAttachment" needs a string "id"');
      return { ok: true, message: { type: 'removeAttachment', id: value.id } };
    case 'codeAction': {
      const { action, code, language } = value;
      if (action !== 'copy' && action !== 'insert' && action !== 'newFile') {
        return fail('"codeAction" needs "action": "copy", "insert" or "newFile"');
      }
      if (!isString(code) || !isString(language)) return fail('"codeAction" needs string "code" and "language"');
      if (code.length > MAX_MESSAGE_CHARS) return fail(`"codeAction" code is longer than ${MAX_MESSAGE_CHARS} characters`);
      return { ok: true, message: { type: 'codeAction', action, code, language } };
    }
    default:
      return fail(`unknown message type "${value.type}"`);
  }
}

/** Validates a message from the extension host. */
export function parseHostToWebview(value: unknown): Parsed<HostToWebview> {
  if (!isRecord(value) || !isString(value.type)) return fail('a message must be an object with a string "type"');
  switch (value.type) {
    case 'transcript':
    case 'append':
    case 'older': {
      const messages = toPanelMessages(value.type, value.messages);
      if (!Array.isArray(messages)) return messages;
      if (value.type === 'older') {
        if (!isId(value.before) || typeof value.hasOlder !== 'boolean') return fail('"older" needs a message id "before" and a boolean "hasOlder"');
        return { ok: true, message: { type: 'older', before: value.before, messages, hasOlder: value.hasOlder } };
      }
      if (typeof value.streaming !== 'boolean') return fail(`"${value.type}" needs a boolean "streaming"`);
      if (value.type === 'append') return { ok: true, message: { type: 'append', messages, streaming: value.streaming } };
      if (typeof value.hasOlder !== 'boolean') return fail('"transcript" needs a boolean "hasOlder"');
      return { ok: true, message: { type: 'transcript', messages, hasOlder: value.hasOlder, streaming: value.streaming } };
    }
    case 'token':
      if (!isId(value.id) || !isString(value.text)) return fail('"token" needs a message id "id" and a string "text"');
      return { ok: true, message: { type: 'token', id: value.id, text: value.text } };
    case 'notice':
      if (!isString(value.text)) return fail('"notice" needs a string "text"');
      return { ok: true, message: { type: 'notice', text: value.text } };
    case 'sendAccepted':
    case 'focusInput':
      return { ok: true, message: { type: value.type } };
    case 'sendFailed':
      if (!isString(value.text) || !isString(value.error)) return fail('"sendFailed" needs string "text" and "error"');
      return { ok: true, message: { type: 'sendFailed', text: value.text, error: value.error } };
    case 'attachments': {
      if (!Array.isArray(value.chips)) return fail('"attachments" needs a "chips" array');
      const chips: AttachmentChip[] = [];
      for (const chip of value.chips) {
        if (!isRecord(chip) || !isString(chip.id) || !isString(chip.label) || !isNumber(chip.chars)) {
          return fail('an attachment chip needs string "id", "label" and a number "chars"');
        }
        if (chip.clippedNotice !== undefined && !isString(chip.clippedNotice)) return fail('"clippedNotice" must be a string');
        chips.push({ id: chip.id, label: chip.label, chars: chip.chars, clippedNotice: chip.clippedNotice });
      }
      return { ok: true, message: { type: 'attachments', chips } };
    }
    case 'engine': {
      const engine = value.engine;
      if (!isRecord(engine) || !isString(engine.phase) || !PHASES.includes(engine.phase)) {
        return fail('"engine" needs an "engine" object with a known "phase"');
      }
      if (engine.message !== undefined && !isString(engine.message)) return fail('"engine.message" must be a string');
      if (engine.model !== undefined && !isModelInfo(engine.model)) return fail('"engine.model" is malformed');
      for (const key of ['sinks', 'window'] as const) {
        if (engine[key] !== undefined && !isNumber(engine[key])) return fail(`"engine.${key}" must be a number`);
      }
      return {
        ok: true,
        message: {
          type: 'engine',
          engine: {
            phase: engine.phase as EngineView['phase'],
            model: engine.model,
            message: engine.message,
            sinks: engine.sinks as number | undefined,
            window: engine.window as number | undefined,
          },
        },
      };
    }
    case 'stats':
      if (!isEngineStats(value.stats)) return fail('"stats" needs engine statistics for both streams');
      return { ok: true, message: { type: 'stats', stats: value.stats } };
    default:
      return fail(`unknown message type "${value.type}"`);
  }
}

/** A page of messages, each validated; a page longer than the panel keeps is refused. */
function toPanelMessages(type: string, value: unknown): PanelMessage[] | { ok: false; error: string } {
  if (!Array.isArray(value)) return fail(`"${type}" needs a "messages" array`);
  if (value.length > PANEL_MESSAGE_CAP) return fail(`"${type}" has ${value.length} messages; the panel takes at most ${PANEL_MESSAGE_CAP} at a time`);
  const messages: PanelMessage[] = [];
  for (const [index, item] of value.entries()) {
    const message = toPanelMessage(item);
    if (!message) return fail(`"${type}" message ${index} is malformed`);
    messages.push(message);
  }
  return messages;
}

function toPanelMessage(value: unknown): PanelMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, role, text, attachments, finish, error, notice } = value;
  if (!isId(id) || (role !== 'user' && role !== 'assistant')) return undefined;
  if (!isString(text) || !isStringArray(attachments)) return undefined;
  if (finish !== undefined && !(isString(finish) && FINISH_REASONS.includes(finish))) return undefined;
  if (error !== undefined && !isString(error)) return undefined;
  if (notice !== undefined && !isString(notice)) return undefined;
  return { id, role, text, attachments, finish: finish as FinishReason | undefined, error, notice };
}

function isModelInfo(value: unknown): value is ModelInfo {
  return (
    isRecord(value) &&
    isString(value.name) &&
    isString(value.dir) &&
    (value.interface === 'streaming' || value.interface === 'hf-with-past') &&
    typeof value.hasFim === 'boolean' &&
    MODEL_NUMBERS.every((key) => isNumber(value[key]))
  );
}

function isEngineStats(value: unknown): value is EngineStats {
  if (!isRecord(value) || !isString(value.model) || !isRecord(value.streams)) return false;
  if (!isNumber(value.rssBytes) || !isNumber(value.uptimeMs)) return false;
  const streams = value.streams;
  return STREAMS.every((id) => {
    const stream = streams[id];
    return isRecord(stream) && stream.stream === id && isString(stream.mode) && STREAM_NUMBERS.every((key) => isNumber(stream[key]));
  });
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
