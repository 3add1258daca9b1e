// The command line refuses impossible input with a message that says what to do, bounds its
// threads and its time, and streams a text of any size through `ppl` with bounded memory.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTextPieces } from '../../../src/engine/cli/textPieces';
import { FIXTURES, ROOT, sampleText, tempDir } from './helpers';

const MODEL = join(FIXTURES, 'stream-a');
const SMALL = join(FIXTURES, 'stream-1layer');
const CLI = ['--import', 'tsx', join(ROOT, 'src/engine/cli.ts')];

function cli(args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
}

function refused(args: string[], message: RegExp): void {
  const run = cli(args);
  assert.equal(run.status, 1, `expected a refusal, got status ${run.status}: ${run.stdout.slice(0, 400)}`);
  assert.match(run.stderr, message);
}

test('impossible cache shapes are refused with what would work', () => {
  refused(['generate', '--model', MODEL, '--prompt', 'hi', '--sinks', '0', '--window', '1'], /--window 1 is too small to hold a prompt and its reply: use a window of at least 16 tokens/);
  const system = 'a long system prompt '.repeat(800);
  refused(
    ['generate', '--model', MODEL, '--prompt', 'hi', '--system', system],
    /the pinned system prompt takes \d+ tokens, but with 4 sinks and a 960-token window within the 2048 positions .*stream-a can use it may take at most 960: shorten the system prompt/,
  );
  const text = join(tempDir(), 'text.txt');
  writeFileSync(text, sampleText().slice(0, 2000));
  // Dense mode may run past the trained positions, but not past the machine's memory.
  refused(['ppl', '--model', MODEL, '--text', text, '--mode', 'dense', '--window', '2000000000'], /a cache of 2000000000 tokens needs [\d.]+ GiB .* more than this machine can give it .*: use a smaller window/);
});

test('ppl and check-cache refuse a cache beyond the trained positions, as generate does', () => {
  const text = join(tempDir(), 'text.txt');
  writeFileSync(text, sampleText().slice(0, 2000));
  const beyond = /sinks \+ window \(4 \+ 5000\) exceeds max_position_embeddings \(2048\) of .*stream-a: .* use a window of at most 2044 tokens/;
  refused(['ppl', '--model', MODEL, '--text', text, '--window', '5000'], beyond);
  refused(['check-cache', '--model', MODEL, '--text', text, '--window', '5000'], beyond);
  refused(['generate', '--model', MODEL, '--prompt', 'hi', '--window', '5000'], beyond);
});

test('--threads is bounded by the cores; --time-budget ends a long generation', () => {
  const cores = availableParallelism();
  refused(['generate', '--model', MODEL, '--prompt', 'hi', '--threads', '100000'], new RegExp(`--threads must be between 0 \\(the engine chooses\\) and ${cores} \\(the cores of this machine\\), got 100000`));
  // Greedy on this fixture runs thousands of tokens without an end-of-sequence token.
  const run = cli(['generate', '--model', MODEL, '--prompt', 'hi', '--max-tokens', '1000000000', '--time-budget', '1.5', '--json', '--threads', '1']);
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { reason: string; usage: { totalMs: number } };
  assert.equal(result.reason, 'time');
  assert.ok(result.usage.totalMs < 15_000, `stopped after ${result.usage.totalMs} ms`);
});

test('--prompt-file takes a prompt longer than the window and says what was left out', () => {
  const file = join(tempDir(), 'prompt.txt');
  writeFileSync(file, `${sampleText()}\nWhat does this code do?`);
  const run = cli(['generate', '--model', MODEL, '--prompt-file', file, '--max-tokens', '3', '--window', '200', '--json', '--threads', '1']);
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { usage: { promptTokens: number; clipped?: number } };
  assert.ok(result.usage.clipped !== undefined && result.usage.clipped > result.usage.promptTokens - 200, JSON.stringify(result.usage));
  assert.match(run.stderr, /the prompt was longer than the window: its first \d+ tokens were left out/);
  refused(['generate', '--model', MODEL, '--prompt', 'x', '--prompt-file', file], /give either --prompt TEXT or --prompt-file FILE, not both/);
  refused(['generate', '--model', MODEL, '--prompt-file', join(tempDir(), 'none.txt')], /cannot read --prompt-file .*none\.txt/);
});

test('a text is read in pieces that never split a character, and bad UTF-8 is reported', async () => {
  const file = join(tempDir(), 'pieces.txt');
  const text = 'añ€😀 line\n'.repeat(300) + 'x'.repeat(500) + '😀'.repeat(300);
  writeFileSync(file, text);
  const pieces: string[] = [];
  const invalid: number[] = [];
  for await (const piece of readTextPieces(file, '--text', (at) => invalid.push(at), 64)) {
    assert.ok(!piece.text.includes('\uFFFD'), 'no character was cut');
    pieces.push(piece.text);
  }
  assert.ok(pieces.length > 50);
  assert.equal(pieces.join(''), readFileSync(file, 'utf8'));
  assert.deepEqual(invalid, []);
  writeFileSync(file, Buffer.concat([Buffer.from('valid text\n'.repeat(20)), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\nmore text\n')]));
  const run = cli(['ppl', '--model', SMALL, '--text', file, '--window', '32', '--threads', '1']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /warning: --text .*pieces\.txt is not valid UTF-8 \(the first bad byte is between offsets 0 and 234\); bad bytes are read as U\+FFFD/);
});

test('ppl streams a 30 MB file with bounded memory and a progress line', { timeout: 240_000 }, async () => {
  const file = join(tempDir(), 'big.txt');
  const fd = openSync(file, 'w');
  const chunk = sampleText();
  for (let written = 0; written < 30e6; written += Buffer.byteLength(chunk)) writeSync(fd, chunk);
  closeSync(fd);
  const child = spawn(process.execPath, [...CLI, 'ppl', '--model', SMALL, '--text', file, '--threads', '1'], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let maxRss = 0;
  const sample = () => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (kb) maxRss = Math.max(maxRss, Number(kb[1]) * 1024);
    } catch {
      // exited
    }
  };
  const started = Date.now();
  // Two progress lines (a line every two seconds while scoring), then stop: the whole file
  // would take hours to score on this small model and two cores.
  while ((stderr.match(/^ppl: \d+ tokens scored, [\d.]+ of 30\.\d MB read/gm) ?? []).length < 2) {
    sample();
    if (child.exitCode !== null) assert.fail(`ppl exited early: ${stderr}`);
    if (Date.now() - started > 180_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  const lines = stderr.match(/^ppl: \d+ tokens scored.*$/gm) ?? [];
  console.log(`ppl on 30 MB: ${lines.length} progress lines in ${((Date.now() - started) / 1000).toFixed(0)} s; largest RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB; last: ${lines.at(-1)}`);
  assert.ok(lines.length >= 2, `a progress line within three minutes; stderr: ${stderr.slice(0, 500)}`);
  // Reading and tokenizing the whole file first took well over a gigabyte.
  assert.ok(maxRss < 400 * 2 ** 20, `RSS reached ${(maxRss / 2 ** 20).toFixed(0)} MiB`);
});
