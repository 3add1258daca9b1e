import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStopRules, type StopContext } from '../../../src/completion/stopRules';

const at = (linePrefix: string, lineSuffix = '', nextLines: string[] = [], maxLines = 16): StopContext => ({
  linePrefix,
  lineSuffix,
  nextLines,
  maxLines,
});

describe('completion stop rules', () => {
  it('ends a function body with its closing brace', () => {
    const raw = '\n  return a + b;\n}\n\nfunction next() {\n';
    const result = applyStopRules(raw, at('function add(a, b) {'), true);
    assert.equal(result.text, '\n  return a + b;\n}');
    assert.equal(result.stopped, true);
  });

  it('stops at a blank line after content and keeps the indentation', () => {
    const raw = '\n    total = a + b\n    return total\n\n\ndef other():\n';
    const result = applyStopRules(raw, at('def add(a, b):'), true);
    assert.equal(result.text, '\n    total = a + b\n    return total');
    assert.equal(result.stopped, true);
  });

  it('stops when a line falls below the indentation of the cursor line', () => {
    const raw = 'x = 1\n    y = 2\nprint(x)\n';
    const result = applyStopRules(raw, at('    '), true);
    assert.equal(result.text, 'x = 1\n    y = 2');
  });

  it('stops before a line that repeats the code after the cursor', () => {
    const raw = 'const b = 2;\n  const c = 3;\n  return a + b + c;\n';
    const result = applyStopRules(raw, at('  ', '', ['  return a + b + c;', '}']), true);
    assert.equal(result.text, 'const b = 2;\n  const c = 3;');
  });

  it('offers nothing when the first line is what already follows', () => {
    const result = applyStopRules('}\n', at('', '', ['}']), true);
    assert.equal(result.text, '');
    assert.equal(result.stopped, true);
  });

  it('keeps at most the maximum number of lines', () => {
    const raw = 'a();\nb();\nc();\nd();\n';
    const result = applyStopRules(raw, at('', '', [], 2), true);
    assert.equal(result.text, 'a();\nb();');
    assert.equal(result.stopped, true);
  });

  it('completes only the rest of the line in the middle of a line, without repeating its end', () => {
    const result = applyStopRules('a, b)\nfoo()', at('call(', ')'), true);
    assert.equal(result.text, 'a, b');
    assert.equal(result.stopped, true);
  });

  it('drops the part of the line that what follows the cursor already starts with', () => {
    assert.equal(applyStopRules('s.slice(1);', at('return ', ';'), true).text, 's.slice(1)');
    assert.equal(applyStopRules('a, b)', at('call(', ');'), true).text, 'a, b');
    assert.equal(applyStopRules('x + 1', at('f(', ');'), true).text, 'x + 1');
  });

  it('does not judge a line that is still being written', () => {
    const partial = applyStopRules('return a', at('  ', '', ['  return a + b;']), false);
    assert.deepEqual(partial, { text: 'return a', stopped: false });
  });

  it('drops trailing whitespace but keeps leading spaces of the first line', () => {
    const result = applyStopRules('  x = 1   \n', at(''), true);
    assert.equal(result.text, '  x = 1');
  });

  it('keeps leading blank lines before any content', () => {
    const raw = '\n\n  body();\n}';
    const result = applyStopRules(raw, at('function f() {'), true);
    assert.equal(result.text, '\n\n  body();\n}');
  });
});

describe('completion stop rules: loops', () => {
  it('ends a loop within a line after its first round', () => {
    const raw = 'pbkdf2, pbkdf2nKey, pbkdf2nKey, pbkdf2nKey, pbkdf2nKey, pbk';
    const result = applyStopRules(raw, at('import { '), false);
    assert.equal(result.text, 'pbkdf2, pbkdf2nKey');
    assert.equal(result.stopped, true);
  });

  it('ends a loop of whole lines after its first line', () => {
    const raw = '\n  ["pclx", "application/x-pclx"],\n  ["pclx", "application/x-pclx"],\n  ["pclx", "application/x-pclx"],\n  ["pc';
    const result = applyStopRules(raw, at('const types = ['), false);
    assert.equal(result.text, '\n  ["pclx", "application/x-pclx"],');
    assert.equal(result.stopped, true);
  });

  it('leaves repeated numbers and rulers alone', () => {
    const raw = 'const zeros = [0, 0, 0, 0, 0, 0];\n// ----------------------------';
    const result = applyStopRules(raw, at(''), true);
    assert.equal(result.text, raw);
    assert.equal(result.stopped, false);
  });
});
