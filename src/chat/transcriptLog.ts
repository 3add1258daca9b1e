// The chat transcript on disk: an append-only JSON-lines log, one line per message, written as
// each message is complete. Restoring reads the log's tail, never all of it. Past half the cap,
// the log becomes the archive (replacing the older one) and a new log starts with the chat's
// newest messages, so the two files together stay within the cap and the user can still open
// what was rotated out. Damaged lines are skipped with a warning; the rest is kept.
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FinishReason } from '../engine/protocol';
import type { ViewMessage } from '../webview/protocol';
import { readLinesBackward } from './logLines';

/** What is saved for each message: the view plus the text the model saw. */
export interface StoredMessage extends ViewMessage {
  /** Grows by one per message within a workspace; never reused. */
  id: number;
  /** The message as sent to the model (user text with attached context folded in). */
  content: string;
}

/** One line of the log. */
type LogLine =
  | ({ kind: 'message' } & StoredMessage)
  /** A new chat starts after this line (New session). */
  | { kind: 'newChat'; id: number }
  /** Message `id` was taken back (its reply failed before a word was written). */
  | { kind: 'drop'; id: number };

export interface TranscriptLogOptions {
  /** Folder of the log (the extension's storage folder for this workspace). */
  dir: string;
  /** Most bytes the log and its archive may take together. */
  capBytes: number;
  warn?: (line: string) => void;
}

/** Messages a rotation carries over into the new log, so a restore still shows the chat. */
const CARRIED = 50;
const FINISH: readonly string[] = ['eos', 'stop', 'length', 'time', 'cancelled', 'superseded'];

export class TranscriptLog {
  readonly logPath: string;
  readonly archivePath: string;
  private size = 0;
  private archiveSize = 0;
  private lastId = 0;
  /** The last line on disk lacks its newline (a torn write): the next append starts a new line. */
  private torn = false;
  private writes: Promise<void> = Promise.resolve();
  /** Where the page before message `id` starts, remembered from the last page served. */
  private pageMark: { id: number; file: string; offset: number } | undefined;

  private readonly options: TranscriptLogOptions;

  constructor(options: TranscriptLogOptions) {
    this.options = { ...options };
    mkdirSync(options.dir, { recursive: true });
    this.logPath = join(options.dir, 'chat.jsonl');
    this.archivePath = join(options.dir, 'chat-archive.jsonl');
    this.size = fileSize(this.logPath);
    this.archiveSize = fileSize(this.archivePath);
    this.torn = this.size > 0 && lastByte(this.logPath, this.size) !== 0x0a;
    this.lastId = Math.max(this.lastIdIn(this.logPath, this.size), this.lastIdIn(this.archivePath, this.archiveSize));
  }

  get capBytes(): number {
    return this.options.capBytes;
  }

  /** A new cap applies from the next write on. */
  set capBytes(bytes: number) {
    this.options.capBytes = bytes;
  }

  /** Bytes on disk now (log and archive). */
  get storedBytes(): number {
    return this.size + this.archiveSize;
  }

  /** A fresh message id. */
  nextId(): number {
    return ++this.lastId;
  }

  /** The current chat's newest messages (at most `limit`), oldest first. */
  restore(limit: number): StoredMessage[] {
    const found = this.scanBack(this.logPath, this.size, limit);
    if (!found.ended && found.messages.length < limit) {
      const older = this.scanBack(this.archivePath, this.archiveSize, limit - found.messages.length, found.messages[0]?.id);
      found.messages.unshift(...older.messages);
    }
    return found.messages;
  }

  /**
   * Up to `limit` messages of the current chat older than message `beforeId`, oldest first;
   * empty when there are none. Paging back one page after another reads each part once.
   */
  async pageBefore(beforeId: number, limit: number): Promise<StoredMessage[]> {
    await this.writes;
    const mark = this.pageMark?.id === beforeId ? this.pageMark : undefined;
    let file = mark?.file ?? this.logPath;
    let end = mark?.offset ?? (file === this.logPath ? this.size : this.archiveSize);
    let messages: StoredMessage[] = [];
    let ended = false;
    let start = end;
    for (;;) {
      const found = this.scanBack(file, end, limit - messages.length, undefined, beforeId);
      messages = [...found.messages, ...messages];
      ended = found.ended;
      start = found.start;
      if (ended || messages.length >= limit || file === this.archivePath) break;
      // The log begins mid-chat: the chat goes on in the archive.
      file = this.archivePath;
      end = this.archiveSize;
      beforeId = messages[0]?.id ?? beforeId;
    }
    if (messages.length > 0) this.pageMark = { id: messages[0].id, file, offset: start };
    return messages;
  }

  /** Appends a complete message. Writes happen in call order. */
  append(message: StoredMessage): Promise<void> {
    return this.write({ kind: 'message', ...message });
  }

  /** Takes back message `id` (it stays in the file, marked dropped). */
  drop(id: number): Promise<void> {
    return this.write({ kind: 'drop', id });
  }

  /** Starts a new chat: restoring and paging stop here. */
  startNewChat(): Promise<void> {
    return this.write({ kind: 'newChat', id: this.nextId() });
  }

  /** Resolves once every write asked for so far is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  private write(line: LogLine): Promise<void> {
    const text = `${this.torn ? '\n' : ''}${JSON.stringify(line)}\n`;
    this.torn = false;
    const bytes = Buffer.byteLength(text);
    this.writes = this.writes
      .then(async () => {
        if (this.size > 0 && this.size + bytes > this.options.capBytes / 2) await this.rotate();
        await appendFile(this.logPath, text);
        this.size += bytes;
      })
      .catch((error: Error) => this.options.warn?.(`the chat transcript could not be saved: ${error.message}`));
    return this.writes;
  }

  /**
   * The log becomes the archive (the older archive goes) and a new log starts with the chat's
   * newest messages. Each step is a rename, or a write to a temporary file then a rename, so a
   * crash leaves either file whole.
   */
  private async rotate(): Promise<void> {
    const carried: string[] = [];
    let count = 0;
    readLinesBackward(this.logPath, this.size, (line, _start, torn) => {
      const parsed = torn ? undefined : parseLine(line);
      if (!parsed) return true;
      carried.unshift(line);
      if (parsed.kind === 'newChat') return false;
      if (parsed.kind === 'message') count++;
      return count < CARRIED;
    });
    await rename(this.logPath, this.archivePath);
    this.archiveSize = this.size;
    const text = carried.map((line) => `${line}\n`).join('');
    const temporary = `${this.logPath}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, this.logPath);
    this.size = Buffer.byteLength(text);
    this.pageMark = undefined;
    this.options.warn?.(`the chat transcript reached half of its ${this.options.capBytes}-byte cap; older messages moved to ${this.archivePath}`);
  }

  /**
   * Reads `file` back from byte `end`: up to `limit` messages (older than `beforeId` when given,
   * and only those below `belowId`), stopping at the start of the chat.
   */
  private scanBack(
    file: string,
    end: number,
    limit: number,
    belowId?: number,
    beforeId?: number,
  ): { messages: StoredMessage[]; ended: boolean; start: number } {
    const messages: StoredMessage[] = [];
    const dropped = new Set<number>();
    let ended = false;
    let start = end;
    if (limit <= 0) return { messages, ended, start };
    readLinesBackward(file, end, (text, lineStart, torn) => {
      const line = parseLine(text);
      if (!line) {
        this.options.warn?.(`skipped a damaged line of ${file} at byte ${lineStart}${torn ? ' (its write was cut short)' : ''}`);
        return true;
      }
      if (line.kind === 'newChat') {
        ended = true;
        return false;
      }
      if (line.kind === 'drop') {
        dropped.add(line.id);
        return true;
      }
      if (dropped.has(line.id)) return true;
      if (belowId !== undefined && line.id >= belowId) return true;
      if (beforeId !== undefined && line.id >= beforeId) return true;
      const { kind: _kind, ...message } = line;
      messages.unshift(message);
      start = lineStart;
      return messages.length < limit;
    });
    return { messages, ended, start };
  }

  private lastIdIn(file: string, size: number): number {
    let id = 0;
    readLinesBackward(file, size, (text) => {
      const line = parseLine(text);
      if (line) id = line.id;
      return !line;
    });
    return id;
  }
}

/** A validated log line, or undefined for anything damaged or foreign. */
export function parseLine(text: string): LogLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record.id)) return undefined;
  const id = record.id as number;
  if (record.kind === 'newChat' || record.kind === 'drop') return { kind: record.kind, id };
  if (record.kind !== 'message') return undefined;
  const message = toStored(record);
  return message ? { kind: 'message', ...message } : undefined;
}

/** A stored message checked field by field; undefined when anything is off. */
export function toStored(value: Record<string, unknown>): StoredMessage | undefined {
  const { id, role, text, content, attachments, finish, error } = value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
  if (role !== 'user' && role !== 'assistant') return undefined;
  if (typeof text !== 'string' || typeof content !== 'string') return undefined;
  if (!Array.isArray(attachments) || !attachments.every((label) => typeof label === 'string')) return undefined;
  const message: StoredMessage = { id, role, text, content, attachments };
  if (typeof finish === 'string' && FINISH.includes(finish)) message.finish = finish as FinishReason;
  if (typeof error === 'string') message.error = error;
  return message;
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function lastByte(path: string, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0];
  } finally {
    closeSync(fd);
  }
}
