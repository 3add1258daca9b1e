// The chat suite checks what it claims: every task's tests pass with a right answer and fail
// with a wrong one, so that a task the model misses is the model's miss and not the suite's.
// These answers exist only to check the suite: they are not training data and must never be.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ChatTask, firstCodeBlock, runTests } from '../../../tools/eval/chatTests';

const SUITE = join(import.meta.dirname, '../../../tools/eval/chat-suite.json');
const tasks = (JSON.parse(readFileSync(SUITE, 'utf8')) as { tasks: ChatTask[] }).tasks;
const dir = mkdtempSync(join(tmpdir(), 'endless-chat-suite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RIGHT: Record<string, string> = {
  'js-sum': 'function sum(numbers) {\n  return numbers.reduce((a, b) => a + b, 0);\n}',
  'js-max': 'function largest(numbers) {\n  return Math.max(...numbers);\n}',
  'js-reverse': "function reverseString(s) {\n  return [...s].reverse().join('');\n}",
  'js-capitalize': 'function capitalize(s) {\n  return s.charAt(0).toUpperCase() + s.slice(1);\n}',
  'js-unique': 'function unique(items) {\n  return [...new Set(items)];\n}',
  'js-iseven': 'function isEven(n) {\n  return n % 2 === 0;\n}',
  'js-count-vowels': 'function countVowels(text) {\n  return (text.match(/[aeiou]/gi) || []).length;\n}',
  'js-range': 'function range(start, end) {\n  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);\n}',
  'js-factorial': 'function factorial(n) {\n  return n <= 1 ? 1 : n * factorial(n - 1);\n}',
  'js-palindrome': "function isPalindrome(s) {\n  return s === [...s].reverse().join('');\n}",
  'js-chunk':
    'function chunk(array, size) {\n  const out = [];\n  for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));\n  return out;\n}',
  'ts-clamp': 'export function clamp(value: number, min: number, max: number): number {\n  return Math.min(max, Math.max(min, value));\n}',
  'ts-average': 'export function average(values: number[]): number {\n  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;\n}',
  'ts-last': 'export function last<T>(items: T[]): T | undefined {\n  return items[items.length - 1];\n}',
  'ts-words': 'export function wordCount(text: string): number {\n  return text.split(/\\s+/).filter(Boolean).length;\n}',
  'ts-fizzbuzz':
    "export function fizzBuzz(n: number): string {\n  if (n % 15 === 0) return 'FizzBuzz';\n  if (n % 3 === 0) return 'Fizz';\n  if (n % 5 === 0) return 'Buzz';\n  return String(n);\n}",
  'ts-flatten': 'export function flatten(arrays: number[][]): number[] {\n  return ([] as number[]).concat(...arrays);\n}',
  'ts-repeat': 'export function repeat(text: string, times: number): string {\n  return text.repeat(times);\n}',
  'ts-min-index': 'export function indexOfMin(values: number[]): number {\n  return values.length === 0 ? -1 : values.indexOf(Math.min(...values));\n}',
  'ts-kebab': "export function toKebabCase(words: string[]): string {\n  return words.map((w) => w.toLowerCase()).join('-');\n}",
  'ts-pick-even': 'export function evens(values: number[]): number[] {\n  return values.filter((v) => v % 2 === 0);\n}',
  'py-add': 'def add(a, b):\n    return a + b',
  'py-reverse': 'def reverse_string(s):\n    return s[::-1]',
  'py-max': 'def largest(numbers):\n    return max(numbers)',
  'py-even': 'def is_even(n):\n    return n % 2 == 0',
  'py-vowels': "def count_vowels(text):\n    return sum(1 for c in text.lower() if c in 'aeiou')",
  'py-factorial': 'def factorial(n):\n    return 1 if n <= 1 else n * factorial(n - 1)',
  'py-palindrome': 'def is_palindrome(s):\n    return s == s[::-1]',
  'py-unique': 'def unique(items):\n    return list(dict.fromkeys(items))',
  'py-squares': 'def squares(n):\n    return [i * i for i in range(n)]',
  'py-fib': 'def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a',
  'py-char-freq': 'def char_counts(text):\n    counts = {}\n    for c in text:\n        counts[c] = counts.get(c, 0) + 1\n    return counts',
  'py-celsius': 'def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32',
  'py-flatten': 'def flatten(lists):\n    return [x for inner in lists for x in inner]',
};

const FENCE = { javascript: 'js', typescript: 'ts', python: 'python' } as const;
/** The name the request asks for: the first backquoted identifier. */
const askedName = (task: ChatTask) => /`([A-Za-z_$][\w$]*)/.exec(task.request)![1];
/** The asked function, with a body that answers something else. */
const wrong = (task: ChatTask) =>
  task.language === 'python' ? `def ${askedName(task)}(*args):\n    return None` : `function ${askedName(task)}(...args) {\n  return null;\n}`;
/** A reply as the chat panel shows it: a sentence and the code in a fenced block. */
const reply = (task: ChatTask, code: string) => `Here it is:\n\`\`\`${FENCE[task.language]}\n${code}\n\`\`\`\n`;

test('every task of the suite has a right answer here', () => {
  assert.deepEqual(tasks.map((t) => t.id).sort(), Object.keys(RIGHT).sort());
  assert.ok(tasks.length >= 30, `the suite holds ${tasks.length} tasks`);
});

for (const task of tasks) {
  test(`${task.id}: a right answer passes and a wrong one fails`, () => {
    const right = runTests(task, firstCodeBlock(reply(task, RIGHT[task.id])), dir);
    assert.equal(right.error, '');
    assert.ok(right.passed);
    const miss = runTests(task, firstCodeBlock(reply(task, wrong(task))), dir);
    assert.equal(miss.passed, false);
    assert.notEqual(miss.error, '');
  });
}

test('an answer that calls a helper it does not show fails with the error named', () => {
  const task = tasks.find((t) => t.id === 'py-even')!;
  const result = runTests(task, 'def is_even(n):\n    return _is_even(n)', dir);
  assert.equal(result.passed, false);
  assert.match(result.error, /NameError/);
});

test('TypeScript that does not compile is reported as such', () => {
  const task = tasks.find((t) => t.id === 'ts-clamp')!;
  const result = runTests(task, 'export function clamp(value: number, min: number, max: number): number {\n  return (;\n}', dir);
  assert.equal(result.passed, false);
  assert.match(result.error, /^does not compile/);
});

test('the first fenced block is the answer; an unclosed fence runs to the end; no fence is all code', () => {
  assert.equal(firstCodeBlock('a\n```js\nx = 1\n```\nb\n```py\ny\n```'), 'x = 1');
  assert.equal(firstCodeBlock('```python\ndef f():\n    pass'), 'def f():\n    pass');
  assert.equal(firstCodeBlock('  return 1;  '), 'return 1;');
});
