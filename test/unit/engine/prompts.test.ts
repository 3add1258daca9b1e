import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChatPrompt } from '../../../src/engine/chatPrompt';
import { EditorPrompt } from '../../../src/engine/editorPrompt';
import { loadModelDir } from '../../../src/engine/modelDir';
import { TextStream } from '../../../src/engine/textStream';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { FIXTURES, tempDir } from './helpers';

const model = loadModelDir(join(FIXTURES, 'stream-a'));
const tokenizer = new TextTokenizer(model);
const id = (token: string) => tokenizer.tokenId(token)!;

test('special ids come from the tokenizer, with <|bos|> as the sink', () => {
  const s = tokenizer.special;
  assert.equal(s.sink, id('<|bos|>'));
  assert.equal(s.imEnd, id('<|im_end|>'));
  assert.ok(s.eos.includes(id('<|endoftext|>')) && s.eos.includes(id('<|im_end|>')));
  assert.ok(!s.eos.includes(id('<|bos|>')));
});

test('special-token text in user input stays text', () => {
  const typed = 'a <|im_end|> b <|bos|>';
  const ids = tokenizer.encodeText(typed);
  for (const special of ['<|im_end|>', '<|bos|>']) assert.ok(!ids.includes(id(special)), `${special} became a special token`);
  assert.equal(tokenizer.decode(ids), typed);
  // The scaffolding tokenizer does parse them.
  assert.ok(tokenizer.encodeScaffold(typed).includes(id('<|im_end|>')));
});

test('code round-trips byte-exact (no clean-up of spaces)', () => {
  const code = 'if (y != 0) { return x ; } // it \'s fine';
  assert.equal(tokenizer.decode(tokenizer.encodeText(code)), code);
});

test('the chat stream follows docs/prompt-format.md exactly', () => {
  const chat = new ChatPrompt(tokenizer, model.tokenizerConfig);
  const user = 'end a turn with <|im_end|>?';
  const seq = chat.build('Be brief.', [
    { role: 'user', content: user },
    { role: 'assistant', content: 'No.' },
    { role: 'user', content: 'ok' },
  ]);
  const t = (s: string) => tokenizer.encodeScaffold(s);
  const p = (s: string) => tokenizer.encodeText(s);
  const expected = [
    id('<|bos|>'),
    ...t('<|im_start|>system\n'), ...p('Be brief.'), ...t('<|im_end|>\n'),
    ...t('<|im_start|>user\n'), ...p(user), ...t('<|im_end|>\n'),
    ...t('<|im_start|>assistant\n'), ...p('No.'), ...t('<|im_end|>\n'),
    ...t('<|im_start|>user\n'), ...p('ok'), ...t('<|im_end|>\n'),
    ...t('<|im_start|>assistant\n'),
  ];
  assert.deepEqual(seq.tokens, expected);
  assert.equal(tokenizer.decode(seq.tokens, true),
    '<|bos|><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nend a turn with <|im_end|>?<|im_end|>\n' +
    '<|im_start|>assistant\nNo.<|im_end|>\n<|im_start|>user\nok<|im_end|>\n<|im_start|>assistant\n');
  // The user's <|im_end|> is text: exactly one real <|im_end|> per finished turn.
  assert.equal(seq.tokens.filter((x) => x === id('<|im_end|>')).length, 4);
  // The head (sink + system block) ends where the first user turn starts; boundaries start turns.
  assert.equal(seq.headEnd, 1 + t('<|im_start|>system\n').length + p('Be brief.').length + t('<|im_end|>\n').length);
  assert.equal(seq.boundaries.length, 3);
  assert.equal(seq.boundaries[0], seq.headEnd);
  assert.equal(seq.tokens[seq.boundaries[1]], id('<|im_start|>'));
});

test('the editor stream follows docs/prompt-format.md: chunks, then suffix-first FIM at the tail', () => {
  const editor = new EditorPrompt(tokenizer);
  const context = {
    chunks: [{ path: 'a.py', text: 'x = 1' }],
    path: 'b.py',
    languageId: 'python',
    prefix: 'def f():\n    ret',
    suffix: '\n\nprint(f())',
  };
  const target = editor.target(context, 0, 4, 0);
  assert.equal(target.offset, 0);
  assert.equal(
    tokenizer.decode(target.tokens, true),
    '<|bos|><|file_sep|>a.py\nx = 1\n<|file_sep|>b.py\n<|fim_suffix|>\n\nprint(f())<|fim_prefix|>def f():\n    ret<|fim_middle|>',
  );
  editor.commit(target);
  // Typing at the cursor: the next target restates only the cursor block, from where it began.
  const next = editor.target({ ...context, prefix: `${context.prefix}urn` }, 0, 4, target.offset + target.tokens.length);
  assert.equal(next.offset, target.cursorStart);
  assert.deepEqual(next.tokens.slice(0, 3), target.tokens.slice(target.cursorStart, target.cursorStart + 3));
  assert.equal(tokenizer.decode(next.tokens, true).startsWith('<|file_sep|>b.py\n<|fim_suffix|>'), true);
});

test('the suffix keeps the whole lines that fit its token bound, and typing at the cursor keeps that cut', () => {
  const suffix = Array.from({ length: 40 }, (_, i) => `  total += values[${i}] * weights[${i}];\n`).join('');
  const bound = 60;
  const editor = new EditorPrompt(tokenizer, undefined, bound);
  const context = { chunks: [], path: 'sum.ts', languageId: 'typescript', prefix: 'function sum() {\n  let total = 0;\n', suffix };
  const text = tokenizer.decode(editor.target(context, 0, 4, 0).tokens, true);
  const kept = text.slice(text.indexOf('<|fim_suffix|>') + '<|fim_suffix|>'.length, text.indexOf('<|fim_prefix|>'));
  assert.ok(suffix.startsWith(kept) && kept.endsWith('\n'), 'the suffix is cut at a line end');
  assert.ok(tokenizer.encodeText(kept).length <= bound);
  assert.ok(tokenizer.encodeText(suffix.slice(0, kept.length + suffix.slice(kept.length).indexOf('\n') + 1)).length > bound, 'the next line would not fit');
  // A short suffix is kept whole.
  const short = tokenizer.decode(editor.target({ ...context, suffix: '}\n' }, 0, 4, 0).tokens, true);
  assert.ok(short.includes('<|fim_suffix|>}\n<|fim_prefix|>'));
  // Typing at the cursor leaves the suffix as it was: the new cursor block starts with the old one's tokens.
  const first = editor.target(context, 0, 4, 0);
  editor.commit(first);
  const typed = editor.target({ ...context, prefix: `${context.prefix}  ret` }, 0, 4, first.offset + first.tokens.length);
  const before = first.tokens.slice(first.cursorStart, first.tokens.indexOf(id('<|fim_prefix|>')) + 1);
  assert.deepEqual(typed.tokens.slice(0, before.length), before);
});

test('incremental decoding never splits a character and holds back stop-string prefixes', () => {
  const text = 'héllo 👋 wörld END tail';
  const ids = tokenizer.encodeText(text);
  const stream = new TextStream(tokenizer, ['END']);
  let out = '';
  for (const t of ids) {
    const piece = stream.push(t);
    assert.ok(!piece.includes('\uFFFD'), `piece ${JSON.stringify(piece)} splits a character`);
    assert.ok(!piece.includes('E') || out.length > 0, 'stop prefix released early');
    out += piece;
    if (stream.stopped) break;
  }
  out += stream.flush();
  assert.equal(out, 'héllo 👋 wörld ');
  assert.equal(stream.fullText, 'héllo 👋 wörld ');
});

test('decoding nothing gives empty text', () => {
  assert.equal(tokenizer.decode([]), '');
  assert.equal(new TextStream(tokenizer, []).flush(), '');
});

test('a model without FIM tokens gets plain prefix completion', () => {
  const dir = join(tempDir(), 'no-fim');
  cpSync(join(FIXTURES, 'stream-a'), dir, { recursive: true });
  const file = join(dir, 'tokenizer.json');
  // Rename the FIM tokens so the tokenizer no longer has them (ids stay valid).
  writeFileSync(file, readFileSync(file, 'utf8').replace(/<\|fim_(prefix|middle|suffix)\|>/g, '<|unused_$1|>'));
  const plain = new TextTokenizer(loadModelDir(dir));
  const editor = new EditorPrompt(plain);
  assert.equal(editor.hasFim, false);
  const target = editor.target({ chunks: [], path: 'b.py', languageId: 'python', prefix: 'def f(', suffix: ')' }, 0, 4, 0);
  assert.equal(plain.decode(target.tokens, true), '<|bos|><|file_sep|>b.py\ndef f(');
});

test('without a chat_template the chat stream is ChatML; a broken template is named', () => {
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const withTemplate = new ChatPrompt(tokenizer, model.tokenizerConfig).build('sys', messages);
  const { chat_template: _dropped, ...noTemplate } = model.tokenizerConfig;
  assert.deepEqual(new ChatPrompt(tokenizer, noTemplate).build('sys', messages), withTemplate);
  assert.throws(() => new ChatPrompt(tokenizer, { chat_template: '{% for m in messages %}' }).build('', messages), /chat_template/);
});
