// Renders the chat stream from the model's chat_template (ChatML when it has none) one message
// at a time, so a turn costs what its new messages cost, however long the chat. The template
// is rendered once per pair of roles on small probe conversations, with a marker in place of
// each content; the scaffolding between two markers is what the template puts between two
// messages of those roles. Scaffolding is tokenized with special tokens parsed, contents as
// plain text, so message text never turns into special tokens.
import { Template } from '@huggingface/jinja';
import { EngineInputError } from './errors';
import type { JsonObject } from './jsonFile';
import type { ChatMessage, ChatTurn } from './protocol';
import { append } from './tokenList';
import type { TextTokenizer } from './tokenizer';

const CHATML = [
  '{%- for message in messages -%}',
  '{{ "<|im_start|>" + message.role + "\\n" + message.content + "<|im_end|>\\n" }}',
  '{%- endfor -%}',
  '{%- if add_generation_prompt -%}{{ "<|im_start|>assistant\\n" }}{%- endif -%}',
].join('');

const MARK = '\u0000';
type Role = ChatMessage['role'];

export interface ChatSequence {
  tokens: number[];
  /** Token index where each rendered message begins (for eviction at message boundaries). */
  boundaries: number[];
  /** Tokens [0, headEnd) are the sink and the pinned system block; 0 when there is no system prompt. */
  headEnd: number;
}

/** What a chat turn asks the stream to hold from logical index `offset` on. */
export interface ChatTarget {
  tokens: number[];
  offset: number;
  /** Logical indices where a message begins. */
  boundaries: number[];
  /** Tokens [0, headEnd) are the sink and the pinned block (cold turns); 0 otherwise. */
  headEnd: number;
  /** Where each message's content ends, recorded once the stream holds the target. */
  held: Held[];
}

interface Held {
  seq: number;
  role: Role;
  /** Logical index just after the message's content. */
  end: number;
}

/** A turn whose `after` the stream no longer holds: the host must send it again cold. */
export class ChatOutOfStepError extends EngineInputError {
  override name = 'ChatOutOfStepError';
}

export class ChatPrompt {
  private readonly template: Template;
  /** Tokens the model produced for assistant replies, reused so a reply re-enters the stream unchanged. */
  private readonly replies = new Map<string, number[]>();
  /** Tokenized scaffolding by role pair; a handful of entries. */
  private readonly scaffolds = new Map<string, number[]>();
  /** Messages the stream holds whose content ends inside the window, oldest first. */
  private held: Held[] = [];
  private epoch = -1;

  constructor(
    private readonly tokenizer: TextTokenizer,
    tokenizerConfig: JsonObject,
  ) {
    const source = pickTemplate(tokenizerConfig.chat_template) ?? CHATML;
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new EngineInputError(`chat_template in tokenizer_config.json does not parse: ${(err as Error).message}`);
    }
  }

  rememberReply(content: string, ids: number[]): void {
    this.replies.set(content, ids);
    if (this.replies.size > 64) this.replies.delete(this.replies.keys().next().value as string);
  }

  /** The whole chat stream for `messages` (system prompt first when given), ending in the assistant prompt. */
  build(system: string, messages: readonly ChatMessage[]): ChatSequence {
    const { tokens, boundaries, headEnd } = this.render(system, null, 0, messages);
    return { tokens, boundaries, headEnd };
  }

  /**
   * What the stream should hold for `turn`. `epoch` changes whenever the stream restarts;
   * `windowStart` is the logical index of its oldest window token, `length` the next index.
   * A continuing turn restates nothing older than the end of its `after` message.
   */
  target(system: string, turn: ChatTurn, epoch: number, windowStart: number, length: number): ChatTarget {
    if (epoch !== this.epoch) {
      this.held = [];
      this.epoch = epoch;
    }
    if (turn.messages.length === 0) throw new EngineInputError('a chat request needs at least one message');
    let last = turn.after ?? -Infinity;
    for (const message of turn.messages) {
      if (!(message.seq > last)) throw new EngineInputError(`chat message numbers must grow: ${message.seq} after ${last}`);
      last = message.seq;
    }
    if (turn.after === null) {
      if (turn.messages[0].role !== 'user') throw new EngineInputError('a chat that starts over must start with a user message');
      return this.render(system, null, 0, turn.messages);
    }
    const from = this.held.find((h) => h.seq === turn.after);
    if (!from || from.end < windowStart || from.end > length) {
      throw new ChatOutOfStepError(`the chat stream does not hold message ${turn.after}; send the turn again from the start`);
    }
    // What followed `after` is about to be replaced; what left the window is of no more use.
    this.held = this.held.filter((h) => h.end <= from.end && h.end >= windowStart);
    return this.render(system, from, from.end, turn.messages);
  }

  /**
   * Records the messages of a target once the stream holds them, forgets those whose end left
   * the window, and returns the number of the last message held (null for none).
   */
  commit(target: ChatTarget, windowStart: number): number | null {
    // Messages after the target's offset were replaced by it.
    this.held = this.held.filter((h) => h.end <= target.offset && h.end >= windowStart);
    for (const h of target.held) if (h.end >= windowStart) this.held.push(h);
    return this.lastHeld();
  }

  /** The number of the last message the stream holds (null for none). */
  lastHeld(): number | null {
    return this.held.length > 0 ? this.held[this.held.length - 1].seq : null;
  }

  /** Forgets what the stream holds (it was reset). */
  forget(): void {
    this.held = [];
  }

  private render(system: string, from: Held | null, offset: number, messages: readonly (ChatMessage & { seq?: number })[]): ChatTarget {
    const tokens: number[] = [];
    const boundaries: number[] = [];
    const held: Held[] = [];
    let headEnd = 0;
    let previous: Role | null = from?.role ?? null;
    for (const message of messages) {
      const scaffold = this.between(system, previous, message.role);
      if (previous === null) {
        // The opening scaffold holds the sink and the system block (the pinned head).
        const sink = this.tokenizer.special.sink;
        if (sink !== undefined && scaffold.before[0] !== sink) tokens.push(sink);
        if (!system) boundaries.push(offset + tokens.length);
        append(tokens, scaffold.before);
        if (system) {
          append(tokens, this.tokenizer.encodeText(system));
          const close = leadingCloseLength(scaffold.after, this.tokenizer);
          headEnd = tokens.length + close;
          boundaries.push(offset + tokens.length + close);
          append(tokens, scaffold.after);
        }
      } else {
        boundaries.push(offset + tokens.length + leadingCloseLength(scaffold.after, this.tokenizer));
        append(tokens, scaffold.after);
      }
      const ids = (message.role === 'assistant' ? this.replies.get(message.content) : undefined) ?? this.tokenizer.encodeText(message.content);
      append(tokens, ids);
      if (message.seq !== undefined) held.push({ seq: message.seq, role: message.role, end: offset + tokens.length });
      previous = message.role;
    }
    append(tokens, this.generationPrompt(system, previous ?? 'user'));
    return { tokens, offset, boundaries, headEnd, held };
  }

  /**
   * Scaffolding before a `role` message that follows a `previous` one. With no previous message,
   * `before` is what comes before the system content (or before the message when there is no
   * system prompt) and `after` what comes between the system content and the message.
   */
  private between(system: string, previous: Role | null, role: Role): { before: number[]; after: number[] } {
    const key = `${system ? 's' : ''}|${previous}|${role}`;
    const cachedBefore = this.scaffolds.get(`${key}|before`);
    const cachedAfter = this.scaffolds.get(`${key}|after`);
    if (cachedBefore && cachedAfter) return { before: cachedBefore, after: cachedAfter };
    const probe = this.probe(system, previous ? [previous, role] : [role], false);
    // Scaffolding pieces sit at even indices; the last two markers are `previous`/system and `role`.
    const pieces = probe.filter((_, i) => i % 2 === 0);
    const marked = pieces.length - 1;
    let before: number[] = [];
    let after: number[];
    if (previous === null && system) {
      before = this.tokenizer.encodeScaffold(pieces.slice(0, marked - 1).join(''));
      after = this.tokenizer.encodeScaffold(pieces[marked - 1]);
    } else if (previous === null) {
      after = [];
      before = this.tokenizer.encodeScaffold(pieces.slice(0, marked).join(''));
    } else {
      after = this.tokenizer.encodeScaffold(pieces[marked - 1]);
    }
    this.scaffolds.set(`${key}|before`, before);
    this.scaffolds.set(`${key}|after`, after);
    return { before, after };
  }

  /** Scaffolding that closes a `previous` message and opens the assistant's reply. */
  private generationPrompt(system: string, previous: Role): number[] {
    const key = `${system ? 's' : ''}|${previous}|generate`;
    let ids = this.scaffolds.get(key);
    if (!ids) {
      const probe = this.probe(system, [previous], true);
      ids = this.tokenizer.encodeScaffold(probe[probe.length - 1]);
      this.scaffolds.set(key, ids);
    }
    return ids;
  }

  /**
   * Renders a small conversation ending in `roles` (preceded by the system prompt when there is
   * one, and by a user message when it would otherwise start with the assistant, as templates
   * that check alternation require); returns the rendering split at the content markers.
   */
  private probe(system: string, roles: Role[], addGenerationPrompt: boolean): string[] {
    const messages: { role: Role; content: string }[] = [];
    if (system) messages.push({ role: 'system', content: `${MARK}s${MARK}` });
    if (roles[0] === 'assistant') messages.push({ role: 'user', content: `${MARK}f${MARK}` });
    roles.forEach((role, i) => messages.push({ role, content: `${MARK}${i}${MARK}` }));
    const sink = this.tokenizer.special.sink;
    let rendered: string;
    try {
      rendered = this.template.render({
        messages,
        add_generation_prompt: addGenerationPrompt,
        bos_token: sink === undefined ? '' : this.tokenizer.decode([sink], true),
        eos_token: '',
      });
    } catch (err) {
      throw new EngineInputError(`rendering the chat_template failed: ${(err as Error).message}`);
    }
    const parts = rendered.split(MARK);
    if (parts.length !== messages.length * 2 + 1) {
      throw new EngineInputError('the chat_template must render every message content exactly once');
    }
    return parts;
  }
}

/**
 * Scaffolding between two contents first closes the previous message (`<|im_end|>\n`) and then
 * opens the next; the boundary lies after the closing part, i.e. after the first end-of-turn
 * token and the newline that follows it.
 */
function leadingCloseLength(scaffold: number[], tokenizer: TextTokenizer): number {
  const imEnd = tokenizer.special.imEnd;
  const at = imEnd === undefined ? -1 : scaffold.indexOf(imEnd);
  if (at < 0) return 0;
  let end = at + 1;
  while (end < scaffold.length && !tokenizer.isSpecial(scaffold[end]) && tokenizer.decode([scaffold[end]]).trim() === '') end++;
  return end;
}

function pickTemplate(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    if (chosen && typeof chosen.template === 'string') return chosen.template;
  }
  return undefined;
}
