// The options a completion request sends (src/completion/requestOptions.ts): the line the stop
// rules would drop, and the weighing of an unsure first line on a line with nothing typed yet.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completionRequestOptions } from '../../../src/completion/requestOptions';
import { stopContextAt } from '../../../src/completion/stopRules';
import { DEFAULT_SETTINGS } from '../../../src/config/settings';
import { COMPLETION_GENERATION } from '../../../src/engine/defaults';

const FILE = 'function add(a, b) {\n  \n  return a + b;\n}\n';

describe('completion request options', () => {
  it('weighs the first line at the start of a line with nothing typed yet, and names the next line as unwanted', () => {
    const options = completionRequestOptions(DEFAULT_SETTINGS, stopContextAt(FILE, FILE.indexOf('\n  \n') + 3));
    assert.ok(COMPLETION_GENERATION.weighFirstLineBelow! > 0);
    assert.equal(options.weighFirstLineBelow, COMPLETION_GENERATION.weighFirstLineBelow);
    assert.equal(options.lineCandidates, COMPLETION_GENERATION.lineCandidates);
    assert.deepEqual(options.unwantedLines, ['return a + b;']);
  });

  it('does not weigh the first line once the user has typed on it', () => {
    const typed = FILE.replace('\n  \n', '\n  const s\n');
    const options = completionRequestOptions(DEFAULT_SETTINGS, stopContextAt(typed, typed.indexOf('const s') + 7));
    assert.equal(options.weighFirstLineBelow, 0);
    assert.deepEqual(options.unwantedLines, ['return a + b;']);
  });
});
