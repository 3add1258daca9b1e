// The completion logic (src/completion/completer.ts) against the real worker bundle and the
// bundled model (a fixture model when it is missing): adopting the generation in flight while
// the user types through it, continuing the suggest widget's selected item, and the pause that
// only automatic requests wait.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS, plannedWindow, type Settings } from '../../../src/config/settings';
import type { EditorContext, GenerateOptions } from '../../../src/engine/protocol';
import { EngineClient } from '../../../src/host/engineClient';
import { CancellationSource } from '../../../src/completion/cancellation';
import { Completer, type CompletionEngine, type CompletionRequest, withSelection } from '../../../src/completion/completer';
import { buildEditorContext, contextLimits } from '../../../src/completion/contextBuilder';

const WORKER = resolve('dist/worker.js');
const BUNDLED = resolve('models/default');
const MODEL = existsSync(join(BUNDLED, 'onnx')) ? BUNDLED : resolve('test/fixtures/models/stream-a');

/** The real engine client, with every `complete` counted and its tokens shown to `onPiece`. */
class CountingEngine implements CompletionEngine {
  calls = 0;
  contexts: EditorContext[] = [];
  onPiece: ((streamed: string) => void) | undefined;

  constructor(private readonly client: EngineClient) {}

  get state() {
    return this.client.state;
  }

  ensureStarted() {
    this.client.ensureStarted();
  }

  complete(context: EditorContext, options: GenerateOptions, onToken?: (text: string) => void) {
    this.calls++;
    this.contexts.push(context);
    let streamed = '';
    return this.client.complete(context, options, (piece) => {
      onToken?.(piece);
      streamed += piece;
      this.onPiece?.(streamed);
    });
  }
}

const FILE = [
  'export interface Point {',
  '  x: number;',
  '  y: number;',
  '}',
  '',
  'export function distance(a: Point, b: Point): number {',
  '  const dx = a.x - b.x;',
  '  const dy = a.y - b.y;',
  '  ',
  '}',
  '',
].join('\n');
const CURSOR = FILE.indexOf('  \n}') + 2;

function request(text: string, offset: number, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return { document: 'file:///shapes.ts', path: 'shapes.ts', languageId: 'typescript', text, offset, explicit: false, ...extra };
}

const insert = (text: string, offset: number, typed: string) => text.slice(0, offset) + typed + text.slice(offset);

describe('completion logic with the real engine', () => {
  let client: EngineClient;
  let settings: Settings;

  const completerFor = (engine: CompletionEngine) =>
    new Completer(engine, (at) => buildEditorContext(at.text, at.offset, at.path, at.languageId, [], contextLimits(plannedWindow(settings))), () => settings);

  before(async () => {
    assert.ok(existsSync(WORKER), `${WORKER} is missing: run \`npm run build\` first`);
    client = new EngineClient(WORKER, { modelDir: MODEL, sinks: 4, window: 480, pinnedSystemPrompt: '', threads: 1 });
    client.start();
    await client.whenReady();
  });

  after(async () => {
    await client.dispose();
  });

  it('adopts the generation in flight when the user types what it is writing', async () => {
    settings = { ...DEFAULT_SETTINGS, completionDelayMs: 0, completionMaxTokens: 48 };
    const engine = new CountingEngine(client);
    const completer = completerFor(engine);
    let second: ReturnType<Completer['complete']> | undefined;
    let typed = '';
    // The moment the model has written a visible character, the user types that character.
    engine.onPiece = (streamed) => {
      const visible = streamed.search(/\S/);
      if (second || visible < 0) return;
      typed = streamed.slice(0, visible + 1);
      second = completer.complete(request(insert(FILE, CURSOR, typed), CURSOR + typed.length));
    };
    const first = await completer.complete(request(FILE, CURSOR));
    assert.ok(second, 'the model wrote something visible');
    const adopted = await second;
    assert.equal(engine.calls, 1, 'no second generation was started');
    assert.ok(adopted, 'the typed-through request got a completion');
    assert.equal(adopted.source, 'reuse');
    assert.notEqual(await adopted.usage, undefined, 'the engine accounted for the shared generation');
    // Both requests show parts of one completion: the whole of it, once finished, is cached.
    const whole = completer.cache.lookup('file:///shapes.ts', FILE.slice(0, CURSOR), FILE.slice(CURSOR));
    assert.ok(whole !== undefined, 'the finished completion is remembered');
    assert.ok(whole.startsWith(typed + adopted.text), `${JSON.stringify(typed + adopted.text)} continues ${JSON.stringify(whole)}`);
    if (first) assert.ok(whole.startsWith(first.text), 'the first request was shown the start of the same completion');
  });

  it('starts over when the user types something other than what is being written', async () => {
    settings = { ...DEFAULT_SETTINGS, completionDelayMs: 0, completionMaxTokens: 48 };
    const engine = new CountingEngine(client);
    const completer = completerFor(engine);
    let second: ReturnType<Completer['complete']> | undefined;
    engine.onPiece = (streamed) => {
      const visible = streamed.search(/\S/);
      if (second || visible < 0) return;
      // A character the model did not write.
      const other = streamed[visible] === '#' ? '@' : '#';
      second = completer.complete(request(insert(FILE, CURSOR, other), CURSOR + 1, { explicit: true }));
    };
    await completer.complete(request(FILE, CURSOR));
    assert.ok(second, 'the model wrote something visible');
    const result = await second;
    assert.equal(engine.calls, 2, 'the diverging request started its own generation');
    assert.notEqual(result?.source, 'reuse');
  });

  it('continues the suggest widget’s selected item, and the accepted item then finds the same completion', async () => {
    settings = { ...DEFAULT_SETTINGS, completionDelayMs: 0, completionMaxTokens: 24 };
    const engine = new CountingEngine(client);
    const completer = completerFor(engine);
    const text = insert(FILE, CURSOR, 'return Math.sq');
    const offset = CURSOR + 'return Math.sq'.length;
    const selected = { start: offset - 2, end: offset, text: 'sqrt' };
    const shown = await completer.complete(request(text, offset, { explicit: true, selected }));
    const asked = engine.contexts[0];
    assert.ok(asked.prefix.endsWith('return Math.sqrt'), `the model was asked to continue the item: ${JSON.stringify(asked.prefix.slice(-30))}`);
    assert.ok(asked.suffix.startsWith('\n}'), 'with the text after the replaced range after it');
    assert.ok(shown && shown.text.trim().length > 0, 'a completion continues the item');
    await shown.usage;
    // The user accepts the selected item: the same completion is offered, from the cache.
    const accepted = text.slice(0, selected.start) + 'sqrt' + text.slice(selected.end);
    const after = await completer.complete(request(accepted, selected.start + 4));
    assert.equal(after?.source, 'cache');
    assert.ok(after.text.startsWith(shown.text), `${JSON.stringify(after.text)} is what was shown, ${JSON.stringify(shown.text)}`);
    assert.equal(engine.calls, 1);
  });

  it('waits the pause for automatic requests only', async () => {
    settings = { ...DEFAULT_SETTINGS, completionDelayMs: 10_000, completionMaxTokens: 8 };
    const engine = new CountingEngine(client);
    const completer = completerFor(engine);
    const started = Date.now();
    const explicit = await completer.complete(request(FILE, CURSOR, { explicit: true }));
    // Generous: the 10-second pause would miss it by far.
    assert.ok(Date.now() - started < 5000, `an explicit request did not wait (${Date.now() - started} ms)`);
    assert.equal(engine.calls, 1, 'the explicit request went to the model');
    assert.ok(explicit === undefined || explicit.source === 'model');

    completer.clear();
    const source = new CancellationSource();
    const automatic = completer.complete(request(insert(FILE, CURSOR, 'x'), CURSOR + 1), source.token);
    setTimeout(() => source.cancel(), 300);
    assert.equal(await automatic, undefined, 'cancelled while it paused');
    assert.equal(engine.calls, 1, 'the automatic request never reached the model');
  });
});

describe('selected suggestion', () => {
  it('is inserted over its range, with the cursor after it', () => {
    const text = 'const s = name.toU;\n';
    const offset = text.indexOf(';');
    const at = withSelection(request(text, offset, { selected: { start: offset - 3, end: offset, text: 'toUpperCase' } }));
    assert.equal(at.text, 'const s = name.toUpperCase;\n');
    assert.equal(at.text.slice(0, at.offset), 'const s = name.toUpperCase');
  });

  it('leaves a request without one as it is', () => {
    const plain = request('abc', 2);
    assert.equal(withSelection(plain), plain);
  });
});
