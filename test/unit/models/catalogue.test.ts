// The catalogue data file, the download store's view of it, and the picker's list.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CATALOGUE, parseCatalogue } from '../../../src/models/catalogue';
import { DOWNLOAD_MANIFEST } from '../../../src/models/download';
import { ModelStore } from '../../../src/models/modelStore';
import { pickerItems } from '../../../src/models/pickerItems';

const FIXTURE = resolve(__dirname, '../../fixtures/models/std-a');

describe('model catalogue', () => {
  it('pins every entry to a commit and lists the files a model folder needs', () => {
    assert.ok(CATALOGUE.length >= 3);
    for (const entry of CATALOGUE) {
      assert.match(entry.revision, /^[0-9a-f]{40}$/, entry.id);
      assert.ok(entry.files.includes('config.json') && entry.files.some((f) => f.startsWith('onnx/')), entry.id);
    }
  });

  it('refuses an entry with a branch instead of a commit, naming the entry and the field', () => {
    const good = { ...CATALOGUE[0] };
    assert.throws(() => parseCatalogue({ models: [{ ...good, revision: 'main' }] }), /catalogue entry 0 \(.+\): revision must be a full commit id/);
    assert.throws(() => parseCatalogue({ models: [{ ...good, files: ['config.json', 'tokenizer.json', 'tokenizer_config.json'] }] }), /files must include an onnx\/\*\.onnx graph/);
    assert.throws(() => parseCatalogue({ models: [{ ...good, files: [...good.files, '../escape'] }] }), /files must be relative paths/);
    assert.throws(() => parseCatalogue({ models: [good, good] }), /id is used twice/);
  });
});

describe('download store', () => {
  let root: string;
  const entry = { ...CATALOGUE[0], files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'endless-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const manifestFor = (dir: string) => ({
    repo: entry.repo,
    revision: entry.revision,
    completedAt: new Date().toISOString(),
    files: entry.files.map((path) => ({ path, size: statSync(join(dir, path)).size, sha256: 'x' })),
  });

  it('counts a folder as a model only with a matching manifest and every file whole', () => {
    const store = new ModelStore(root);
    assert.equal(store.state(entry).kind, 'absent');
    // Bytes in the staging folder: a partial download, never a model.
    mkdirSync(join(store.stagingOf(entry), 'onnx'), { recursive: true });
    writeFileSync(join(store.stagingOf(entry), 'onnx', 'model.onnx.partial'), Buffer.alloc(1234));
    assert.deepEqual(store.state(entry), { kind: 'partial', bytes: 1234 });

    const dir = store.folderOf(entry);
    cpSync(FIXTURE, dir, { recursive: true });
    assert.equal(store.state(entry).kind, 'partial', 'files without a manifest are not a download');
    writeFileSync(join(dir, DOWNLOAD_MANIFEST), JSON.stringify(manifestFor(dir)));
    assert.equal(store.state(entry).kind, 'installed');
    writeFileSync(join(dir, DOWNLOAD_MANIFEST), JSON.stringify({ ...manifestFor(dir), revision: 'f'.repeat(40) }));
    assert.equal(store.state(entry).kind, 'partial', 'a download of another revision does not count');
    writeFileSync(join(dir, DOWNLOAD_MANIFEST), JSON.stringify(manifestFor(dir)));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'truncated');
    assert.notEqual(store.state(entry).kind, 'installed', 'a file of the wrong size does not count');
    assert.equal(store.entryAt(dir + '/', [entry]), entry);
    assert.equal(store.entryAt(FIXTURE, [entry]), undefined);
  });

  it('deletes a download with its partial files', async () => {
    const store = new ModelStore(root);
    cpSync(FIXTURE, store.folderOf(entry), { recursive: true });
    mkdirSync(store.stagingOf(entry), { recursive: true });
    writeFileSync(join(store.stagingOf(entry), 'config.json.partial'), 'x');
    await store.remove(entry);
    assert.equal(store.state(entry).kind, 'absent');
    assert.deepEqual(readdirSync(root).filter((n) => n !== '.partial'), []);
  });
});

describe('model picker list', () => {
  const [first, second] = CATALOGUE;
  const base = {
    bundledName: 'Bundled',
    recentFolders: ['/models/mine'],
    catalogue: [
      { entry: first, state: { kind: 'installed', dir: '/store/a', bytes: 200e6 } as const, dir: '/store/a' },
      { entry: second, state: { kind: 'partial', bytes: 12e6 } as const, dir: '/store/b' },
    ],
  };

  it('groups the bundled model, the catalogue and local folders, and marks the current one', () => {
    const items = pickerItems({ ...base, current: '/store/a' });
    assert.deepEqual(items.filter((i) => i.separator).map((i) => i.separator), ['Bundled', 'Catalogue', 'Local folders']);
    assert.deepEqual(items.filter((i) => i.current).map((i) => i.action.kind), ['catalogue']);
    const [installed, partial] = items.filter((i) => i.action.kind === 'catalogue');
    assert.match(installed.description ?? '', new RegExp(`q4 · needs ~${first.ramGB} GB RAM`));
    assert.match(installed.detail ?? '', /Downloaded \(200 MB\)/);
    assert.match(partial.detail ?? '', /Partly downloaded \(12\.0 MB\): choose it to resume/);
    assert.equal(items.at(-1)?.action.kind, 'browse');
  });

  it('lists the folder in use even when it was not chosen through the picker', () => {
    const items = pickerItems({ ...base, current: '/elsewhere/model' });
    const folders = items.filter((i) => i.action.kind === 'folder');
    assert.deepEqual(folders.map((i) => i.description), ['/elsewhere/model', '/models/mine']);
    assert.ok(folders[0].current);
    assert.ok(pickerItems({ ...base, current: '' })[0].current, 'an empty setting is the bundled model');
  });
});

describe('download core', () => {
  it('never imports vscode, so Node alone runs it (and its tests)', () => {
    const dir = resolve(__dirname, '../../../src/models');
    const withVscode = new Set(['hubToken.ts', 'modelPicker.ts']);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts') && !withVscode.has(n))) {
      assert.doesNotMatch(readFileSync(join(dir, name), 'utf8'), /from 'vscode'/, name);
    }
  });
});
