import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editSimilarity, failureModes } from '../../../tools/eval/score';

test('edit similarity: 1 for equal strings, 0 for nothing in common, the Levenshtein ratio between', () => {
  assert.equal(editSimilarity('', ''), 1);
  assert.equal(editSimilarity('return x;', 'return x;'), 1);
  assert.equal(editSimilarity('abc', ''), 0);
  assert.equal(editSimilarity('abc', 'xyz'), 0);
  // kitten -> sitting: three edits over seven characters
  assert.equal(editSimilarity('kitten', 'sitting'), 1 - 3 / 7);
  assert.equal(editSimilarity('sitting', 'kitten'), editSimilarity('kitten', 'sitting'));
});

test('failure modes: nothing shown, a loop, a line of JavaScript comment in Python', () => {
  assert.deepEqual(failureModes('  \n', 'typescript'), ['empty']);
  assert.deepEqual(failureModes('foo(_impl, _impl, _impl, ', 'typescript'), ['repetition']);
  assert.deepEqual(failureModes('x = 1\n    // set x', 'python'), ['slash-comment-in-python']);
  assert.deepEqual(failureModes('x = 1\n    // set x', 'typescript'), []);
  assert.deepEqual(failureModes('const total = a + b;', 'typescript'), []);
});
