// Renders the chat stream from the model's chat_template (ChatML when it has none) and
// tokenizes it so that message text never turns into special tokens: the template is rendered
// with a marker in place of each message's content, the scaffolding between markers is
// tokenized with special tokens parsed, and each content is tokenized as plain text.
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from './protocol';
import type { JsonObject } from './jsonFile';
import { append } from './tokenList';
import type { TextTokenizer } from './tokenizer';
import { EngineInputError } from './errors';

const CHATML = [
  '{%- for message in messages -%}',
  '{{ "<|im_start|>" + message.role + "\\n" + message.content + "<|im_end|>\\n" }}',
  '{%- endfor -%}',
  '{%- if add_generation_prompt -%}{{ "<|im_start|>assistant\\n" }}{%- endif -%}',
].join('');

const MARK = '\u0000';

export interface ChatSequence {
  tokens: number[];
  /** Token index where each rendered message begins (for eviction at message boundaries). */
  boundaries: number[];
  /** Tokens [0, headEnd) are the sink and the pinned system block; 0 when there is no system prompt. */
  headEnd: number;
}

export class ChatPrompt {
  private readonly template: Template;
  /** Tokens the model produced for assistant replies, reused so a reply re-enters the stream unchanged. */
  private readonly replies = new Map<string, number[]>();
  /** Tokens of each message text in the last transcript built. */
  private encoded = new Map<string, number[]>();

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

  /** The chat stream for `messages` (system prompt first when given), ending in the assistant prompt. */
  build(system: string, messages: readonly ChatMessage[]): ChatSequence {
    const all: ChatMessage[] = system ? [{ role: 'system', content: system }, ...messages] : [...messages];
    const rendered = this.render(all, true);
    const tokens: number[] = [];
    const sink = this.tokenizer.special.sink;
    const boundaries: number[] = [];
    let headEnd = 0;
    // Each message's scaffolding starts a new message; markers carry the message index.
    const parts = rendered.split(MARK);
    const seen = new Map<string, number[]>();
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) {
        const message = all[Number(parts[i])];
        const ids = message.role === 'assistant' ? this.replies.get(message.content) : undefined;
        append(tokens, ids ?? this.encodeCached(message.content, seen));
        continue;
      }
      const scaffold = this.tokenizer.encodeScaffold(parts[i]);
      if (i === 0 && sink !== undefined && scaffold[0] !== sink) tokens.push(sink);
      const messageIndex = (i / 2) | 0;
      if (messageIndex < all.length) boundaries.push(tokens.length + leadingCloseLength(scaffold, this.tokenizer, i === 0));
      if (system && messageIndex === 1) headEnd = tokens.length + leadingCloseLength(scaffold, this.tokenizer, false);
      append(tokens, scaffold);
    }
    if (system && all.length === 1) headEnd = tokens.length;
    // Keep only what this transcript used: the next request restates it plus a turn or two.
    this.encoded = seen;
    return { tokens, boundaries, headEnd };
  }

  /** Message text tokenized once per transcript, not once per request. */
  private encodeCached(content: string, seen: Map<string, number[]>): number[] {
    let ids = seen.get(content) ?? this.encoded.get(content);
    if (!ids) ids = this.tokenizer.encodeText(content);
    seen.set(content, ids);
    return ids;
  }

  private render(messages: ChatMessage[], addGenerationPrompt: boolean): string {
    const marked = messages.map((m, i) => ({ role: m.role, content: `${MARK}${i}${MARK}` }));
    const sink = this.tokenizer.special.sink;
    try {
      return this.template.render({
        messages: marked,
        add_generation_prompt: addGenerationPrompt,
        bos_token: sink === undefined ? '' : this.tokenizer.decode([sink], true),
        eos_token: '',
      });
    } catch (err) {
      throw new EngineInputError(`rendering the chat_template failed: ${(err as Error).message}`);
    }
  }
}

/**
 * Scaffolding between two contents first closes the previous message (`<|im_end|>\n`) and then
 * opens the next; the boundary lies after the closing part, i.e. after the first end-of-turn
 * token and the newline that follows it.
 */
function leadingCloseLength(scaffold: number[], tokenizer: TextTokenizer, first: boolean): number {
  if (first) return 0;
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
