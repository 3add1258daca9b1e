// The model's tokenizer (@huggingface/tokenizers) with the two encodings Endless needs:
// scaffolding text (chat template output, FIM layout) where special tokens are parsed, and
// user text where they are not, so typing `<|im_end|>` stays text.
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineInputError } from './errors';
import type { JsonObject } from './jsonFile';
import type { ModelDir } from './modelDir';

export interface SpecialIds {
  /** First token of every stream: `<|bos|>`, else the tokenizer's or config's BOS; none if the model has none. */
  sink?: number;
  endOfText?: number;
  imStart?: number;
  imEnd?: number;
  fileSep?: number;
  /** Ids that end generation in any stream. */
  eos: number[];
}

export class TextTokenizer {
  readonly special: SpecialIds;
  /** Parses special tokens: for template scaffolding. */
  private readonly scaffold: Tokenizer;
  /** Same tokenizer with special added tokens removed from its splitter: for user text. */
  private readonly plain: Tokenizer;
  private readonly specialIdSet: Set<number>;

  constructor(model: ModelDir) {
    // Code must come back byte-exact: `y != 0` must not turn into `y!= 0`.
    const config = { ...model.tokenizerConfig, clean_up_tokenization_spaces: false };
    const json = model.tokenizerJson;
    try {
      this.scaffold = new Tokenizer(structuredClone(json), config);
      const added = Array.isArray(json.added_tokens) ? (json.added_tokens as JsonObject[]) : [];
      this.plain = new Tokenizer({ ...structuredClone(json), added_tokens: added.filter((t) => t.special !== true) }, config);
    } catch (err) {
      throw new EngineInputError(`cannot load tokenizer.json in ${model.dir}: ${(err as Error).message}`);
    }
    const added = Array.isArray(json.added_tokens) ? (json.added_tokens as JsonObject[]) : [];
    this.specialIdSet = new Set(added.filter((t) => t.special === true && typeof t.id === 'number').map((t) => t.id as number));
    this.special = this.findSpecialIds(model);
  }

  /** User or file text: special-token strings are ordinary characters here. */
  encodeText(text: string): number[] {
    if (text.length === 0) return [];
    return this.plain.encode(text, { add_special_tokens: false }).ids;
  }

  /** Template output: special-token strings become their ids. */
  encodeScaffold(text: string): number[] {
    if (text.length === 0) return [];
    return this.scaffold.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of `ids`; special tokens are dropped unless `keepSpecial`. Empty input gives ''. */
  decode(ids: readonly number[], keepSpecial = false): string {
    if (ids.length === 0) return '';
    return this.scaffold.decode(ids as number[], { skip_special_tokens: !keepSpecial, clean_up_tokenization_spaces: false });
  }

  isSpecial(id: number): boolean {
    return this.specialIdSet.has(id);
  }

  tokenId(token: string): number | undefined {
    return this.scaffold.token_to_id(token);
  }

  private findSpecialIds(model: ModelDir): SpecialIds {
    const named = (token: unknown): number | undefined => {
      const content = typeof token === 'string' ? token : (token as { content?: unknown } | null)?.content;
      return typeof content === 'string' ? this.tokenId(content) : undefined;
    };
    const cfg = model.tokenizerConfig;
    const sink = this.tokenId('<|bos|>') ?? named(cfg.bos_token) ?? model.arch.bosTokenId;
    const special: SpecialIds = {
      sink,
      endOfText: this.tokenId('<|endoftext|>'),
      imStart: this.tokenId('<|im_start|>'),
      imEnd: this.tokenId('<|im_end|>'),
      fileSep: this.tokenId('<|file_sep|>'),
      eos: [],
    };
    const eos = new Set<number>(model.arch.eosTokenIds);
    const genEos = model.generationConfig.eos_token_id;
    for (const id of Array.isArray(genEos) ? genEos : [genEos]) if (typeof id === 'number') eos.add(id);
    const cfgEos = named(cfg.eos_token);
    if (cfgEos !== undefined) eos.add(cfgEos);
    if (special.endOfText !== undefined) eos.add(special.endOfText);
    if (special.imEnd !== undefined) eos.add(special.imEnd);
    special.eos = [...eos];
    return special;
  }
}
