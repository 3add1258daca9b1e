// What a generation in flight answers, token by token. The tokens are scripted here (the
// worker's stream is replaced by a test-driven one) so every step can be checked; the same
// class runs against the real engine in completionFlow.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finished, Generation } from '../../../src/host/engineClient';
import { InFlight } from '../../../src/completion/inFlight';
import { stopContextAt } from '../../../src/completion/stopRules';

/** A generation the test writes token by token and ends. */
function scripted() {
  let onToken: (piece: string) => void = () => undefined;
  let resolve: (done: Finished) => void = () => undefined;
  let text = '';
  let cancelled = false;
  const generation: Generation = {
    done: new Promise((r) => (resolve = r)),
    cancel: () => {
      cancelled = true;
    },
  };
  return {
    start: (listener: (piece: string) => void) => ((onToken = listener), generation),
    write: (piece: string) => {
      text += piece;
      onToken(piece);
    },
    end: (reason: Finished['reason'] = 'eos') => resolve({ reason, text }),
    get cancelled() {
      return cancelled;
    },
  };
}

const FILE = 'function area(w, h) {\n  \n}\n';
const CURSOR = FILE.indexOf('  \n') + 2;

function flight(script: ReturnType<typeof scripted>) {
  return new InFlight('a.js', FILE.slice(0, CURSOR), FILE.slice(CURSOR), stopContextAt(FILE, CURSOR, 16), script.start);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('generation in flight', () => {
  it('answers with the first whole line and keeps generating', async () => {
    const script = scripted();
    const running = flight(script);
    let answered: unknown;
    void running.wait('').then((answer) => (answered = answer));
    script.write('const a');
    await tick();
    assert.equal(answered, undefined, 'no whole line yet');
    script.write(' = w * h;\n  return');
    await tick();
    assert.deepEqual(answered, { text: 'const a = w * h;', final: false });
    script.write(' a;\n}\n\nfunction');
    await tick();
    assert.equal(script.cancelled, true, 'the stop rules ended it at the line that repeats the closing brace');
    script.end('cancelled');
    assert.equal(await running.finished, 'const a = w * h;\n  return a;', 'the closing brace already follows');
  });

  it('lets a request that typed the start of it adopt it, and answers with the rest', async () => {
    const script = scripted();
    const running = flight(script);
    script.write('return w');
    assert.equal(running.adoptable('a.js', FILE.slice(0, CURSOR) + 'ret', FILE.slice(CURSOR)), 'ret');
    assert.equal(running.adoptable('a.js', FILE.slice(0, CURSOR) + 'x', FILE.slice(CURSOR)), undefined, 'typed something else');
    assert.equal(running.adoptable('b.js', FILE.slice(0, CURSOR) + 'ret', FILE.slice(CURSOR)), undefined, 'another document');
    assert.equal(running.adoptable('a.js', FILE.slice(0, CURSOR) + 'ret', '\n}\nmore'), undefined, 'the text after the cursor changed');
    const rest = running.wait('ret');
    script.write(' * h;\n');
    script.end();
    assert.deepEqual(await rest, { text: 'urn w * h;', final: false });
    assert.deepEqual(running.answer('ret'), { text: 'urn w * h;', final: true });
  });

  it('is cancelled once every request for it was cancelled and none adopts it in time', async () => {
    const script = scripted();
    const running = flight(script);
    const cancelled = { isCancellationRequested: true, onCancellationRequested: () => ({ dispose: () => undefined }) };
    assert.equal(await running.wait('', cancelled), undefined);
    assert.equal(script.cancelled, false, 'it survives a grace period');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(script.cancelled, true);
  });

  it('has nothing to offer when it was superseded', async () => {
    const script = scripted();
    const running = flight(script);
    script.write('return w * h;');
    script.end('superseded');
    assert.equal(await running.finished, undefined);
    assert.equal(await running.wait(''), undefined);
  });
});

describe('stop context from text', () => {
  it('splits the cursor line and takes the lines after it', () => {
    const text = 'a\n  foo(bar);\nb\r\nc\n';
    const at = stopContextAt(text, text.indexOf('bar'), 16, 2);
    assert.deepEqual(at, { linePrefix: '  foo(', lineSuffix: 'bar);', nextLines: ['b', 'c'], maxLines: 16 });
    assert.deepEqual(stopContextAt('x', 1, 4).nextLines, []);
  });
});
