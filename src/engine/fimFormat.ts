// Fill-in-the-middle layouts, chosen from the tokens a model's tokenizer has (and, for the
// `<|fim_*|>` tokens that two layouts share, from its model_type):
//  - the bundled model (docs/prompt-format.md): `<|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>`,
//    suffix first so that typing at the cursor only appends tokens;
//  - Qwen2.5-Coder (model_type qwen2/qwen3): `<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>`;
//  - StarCoder, StarCoder2, SmolLM and kin: `<fim_prefix>P<fim_suffix>S<fim_middle>`;
//  - Code Llama: `<PRE>P<SUF>S<MID>`, ending its middle with `<EOT>`.
// The other families use the prefix-suffix-middle order their model cards document: typing at
// the cursor then re-runs the suffix and the middle marker (bounded by the cursor context), not
// the whole prompt. A model with none of these tokens completes the prefix alone.
import type { TextTokenizer } from './tokenizer';

export type FimFamily = 'endless' | 'qwen' | 'starcoder' | 'codellama';

export interface FimFormat {
  family: FimFamily;
  prefix: number;
  suffix: number;
  middle: number;
  /** Whether the suffix comes first (typing at the cursor then only appends). */
  suffixFirst: boolean;
  /** Tokens that end a completion besides the model's end-of-sequence ids. */
  stops: number[];
}

const QWEN_TYPES = ['qwen2', 'qwen3', 'qwen2_moe', 'qwen3_moe'];

export function fimFormat(tokenizer: TextTokenizer, modelType: string | undefined): FimFormat | undefined {
  const id = (...names: string[]) => names.map((n) => tokenizer.tokenId(n)).find((v) => v !== undefined);
  const triple = (prefix: string[], suffix: string[], middle: string[]) => {
    const [p, s, m] = [id(...prefix), id(...suffix), id(...middle)];
    return p !== undefined && s !== undefined && m !== undefined ? { prefix: p, suffix: s, middle: m } : undefined;
  };
  const pipes = triple(['<|fim_prefix|>'], ['<|fim_suffix|>'], ['<|fim_middle|>']);
  if (pipes) {
    const qwen = modelType !== undefined && QWEN_TYPES.includes(modelType);
    return { family: qwen ? 'qwen' : 'endless', ...pipes, suffixFirst: !qwen, stops: present(id('<|fim_pad|>')) };
  }
  const starcoder = triple(['<fim_prefix>'], ['<fim_suffix>'], ['<fim_middle>']);
  if (starcoder) return { family: 'starcoder', ...starcoder, suffixFirst: false, stops: present(id('<fim_pad>')) };
  const codellama = triple(['▁<PRE>', '<PRE>'], ['▁<SUF>', '<SUF>'], ['▁<MID>', '<MID>']);
  if (codellama) return { family: 'codellama', ...codellama, suffixFirst: false, stops: present(id('▁<EOT>', '<EOT>')) };
  return undefined;
}

/** The cursor block: the FIM markers around `prefix` and `suffix` in the family's order. */
export function fimBlock(format: FimFormat, prefix: number[], suffix: number[]): number[] {
  return format.suffixFirst
    ? [format.suffix, ...suffix, format.prefix, ...prefix, format.middle]
    : [format.prefix, ...prefix, format.suffix, ...suffix, format.middle];
}

function present(id: number | undefined): number[] {
  return id === undefined ? [] : [id];
}
