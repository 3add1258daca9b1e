import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EditorPrompt } from '../../../src/engine/editorPrompt';
import { Engine, NO_FIM_NOTICE } from '../../../src/engine/engine';
import { graphKvType } from '../../../src/engine/graphContract';
import { loadModelDir } from '../../../src/engine/modelDir';
import type { EditorContext } from '../../../src/engine/protocol';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { FIXTURES, tempDir } from './helpers';

// What a model's own files decide: the window (from the positions it can use), fill-in-the-middle
// layout and its tokens, end-of-sequence ids; and what is refused, with the reason.

const family = (name: string) => join(FIXTURES, `hf-${name}`);
const CURSOR: EditorContext = { path: 'a.py', languageId: 'python', prefix: 'def f(', suffix: ')\n', chunks: [] };

test('the default window comes from the positions the model can use, and says why when it is smaller', async () => {
  const engine = await Engine.load({ modelDir: family('gemma3'), sinks: 4, window: 0, pinnedSystemPrompt: '', threads: 1 });
  try {
    assert.equal(engine.info.window, 508);
    assert.ok(engine.info.notices.some((n) => /window is 508 tokens, not the default 960: the model can use 512 positions \(its sliding_window of 512/.test(n)), engine.info.notices.join('\n'));
    // Gemma has no fill-in-the-middle tokens: said once, at load.
    assert.equal(engine.info.hasFim, false);
    assert.ok(engine.info.notices.includes(NO_FIM_NOTICE));
  } finally {
    await engine.dispose();
  }
});

test('a configured window past a sliding window is refused with the feature and the largest window that works', async () => {
  await assert.rejects(
    Engine.load({ modelDir: family('mistral'), sinks: 4, window: 1100, pinnedSystemPrompt: '', threads: 1 }),
    /sinks \+ window \(4 \+ 1100\) exceeds the 1024 positions .*hf-mistral can use \(its sliding_window of 1024: .*hide the sinks from them\); use a window of at most 1020 tokens/,
  );
});

test('fill-in-the-middle follows the family: Qwen prefix first, the bundled layout suffix first, none for Llama 3', () => {
  const qwen = loadModelDir(family('qwen2'));
  const tokenizer = new TextTokenizer(qwen);
  const editor = new EditorPrompt(tokenizer, qwen.arch.modelType);
  assert.equal(editor.fim?.family, 'qwen');
  const target = editor.target(CURSOR, 0, 0, 0);
  const text = tokenizer.decode(target.tokens, true);
  assert.ok(text.endsWith('<|fim_prefix|>def f(<|fim_suffix|>)\n<|fim_middle|>'), JSON.stringify(text));
  // The same tokens in a model that is not Qwen: the suffix-first layout of docs/prompt-format.md.
  const own = new EditorPrompt(tokenizer, 'llama').target(CURSOR, 0, 0, 0);
  assert.ok(tokenizer.decode(own.tokens, true).endsWith('<|fim_suffix|>)\n<|fim_prefix|>def f(<|fim_middle|>'));
  const llama = loadModelDir(family('llama'));
  const plain = new EditorPrompt(new TextTokenizer(llama), llama.arch.modelType);
  assert.equal(plain.hasFim, false);
  const prefixOnly = plain.target(CURSOR, 0, 0, 0);
  assert.ok(new TextTokenizer(llama).decode(prefixOnly.tokens, true).endsWith('def f('));
});

test('StarCoder and Code Llama tokens give their families\' layouts', () => {
  for (const [tokens, family, ends] of [
    [['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<fim_pad>'], 'starcoder', '<fim_prefix>x = <fim_suffix>\n<fim_middle>'],
    [['▁<PRE>', '▁<SUF>', '▁<MID>', '▁<EOT>'], 'codellama', '▁<PRE>x = ▁<SUF>\n▁<MID>'],
  ] as const) {
    const dir = join(tempDir(), family);
    cpSync(family === 'starcoder' ? FIXTURES + '/hf-llama' : FIXTURES + '/hf-mistral', dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string; special: boolean }[] };
    // Re-purpose the last ids (added tokens) as the family's markers.
    tokens.forEach((content, i) => Object.assign(json.added_tokens[json.added_tokens.length - 1 - i], { content }));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    const model = loadModelDir(dir);
    const tokenizer = new TextTokenizer(model);
    const editor = new EditorPrompt(tokenizer, model.arch.modelType);
    assert.equal(editor.fim?.family, family);
    assert.deepEqual(editor.fim?.stops, [tokenizer.tokenId(tokens[3])]);
    const target = editor.target({ ...CURSOR, prefix: 'x = ', suffix: '\n' }, 0, 0, 0);
    assert.ok(tokenizer.decode(target.tokens, true).endsWith(ends), tokenizer.decode(target.tokens, true));
  }
});

test('every end-of-sequence id of the model ends generation: config, generation_config and the tokenizer', () => {
  const expect: Record<string, string[]> = {
    llama: ['<|end_of_text|>', '<|eot_id|>'],
    qwen2: ['<|im_end|>', '<|endoftext|>'],
    gemma3: ['<eos>', '<end_of_turn>'],
  };
  for (const [name, tokens] of Object.entries(expect)) {
    const tokenizer = new TextTokenizer(loadModelDir(family(name)));
    for (const t of tokens) assert.ok(tokenizer.special.eos.includes(tokenizer.tokenId(t)!), `${name}: ${t}`);
  }
});

test('a K/V type the engine cannot run is refused by name with what to use instead', () => {
  const signature = (type: string) => ({
    inputNames: ['input_ids', 'past_key_values.0.key'],
    outputNames: [],
    inputMetadata: [{ name: 'past_key_values.0.key', isTensor: true, type, shape: [1, 2, 'past', 16] }],
    outputMetadata: [],
  });
  assert.equal(graphKvType(signature('float16') as never, 'hf-with-past'), 'float16');
  assert.throws(() => graphKvType(signature('bfloat16') as never, 'hf-with-past'), /keeps its KV cache in bfloat16 .*float32 or float16 K\/V\. Use the model's fp32, fp16, q4 or q4f16 ONNX file/);
  const streaming = { ...signature('float16'), inputMetadata: [{ name: 'past_key.0', isTensor: true, type: 'float16', shape: [] }] };
  assert.throws(() => graphKvType(streaming as never, 'streaming'), /streaming interface takes float32 K\/V only/);
});

test('chat_template.jinja beside the tokenizer config is the chat template, as in transformers', () => {
  const dir = join(tempDir(), 'templated');
  cpSync(family('llama'), dir, { recursive: true });
  writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}');
  const model = loadModelDir(dir);
  assert.match(String(model.tokenizerConfig.chat_template), /^\{% for m in messages %\}\[/);
});
