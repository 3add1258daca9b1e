// Model downloads against a local Hub-shaped server serving the fixture model std-a: the real
// download code over real HTTP, with the failures a user meets (a dropped connection, a
// corrupt file, a missing file, a private repository, no network, a full disk).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DOWNLOAD_MANIFEST, downloadModel, type DownloadProgress, type DownloadRequest } from '../../../src/models/download';
import { HubClient } from '../../../src/models/hubClient';
import { HubError } from '../../../src/models/hubErrors';
import { FakeHub, folderFiles } from '../../hub/fakeHub';

const FIXTURE = resolve(__dirname, '../../fixtures/models/std-a');
const REPO = 'endless-test/std-a';
const PRIVATE = 'endless-test/private';
const REVISION = '0123456789abcdef0123456789abcdef01234567';
const FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
const WEIGHTS = 'onnx/model.onnx';
const TOKEN = 'hf_test_token';

describe('model download from a Hub endpoint', () => {
  const hub = new FakeHub();
  let root: string;

  before(async () => {
    await hub.start();
    hub.repos.set(REPO, { revision: REVISION, files: folderFiles(FIXTURE) });
    hub.repos.set(PRIVATE, { revision: REVISION, files: folderFiles(FIXTURE), token: TOKEN });
  });
  after(() => hub.stop());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'endless-download-'));
    hub.requests.length = 0;
    for (const key of Object.keys(hub.faults) as (keyof typeof hub.faults)[]) delete hub.faults[key];
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const request = (extra: Partial<DownloadRequest> = {}): DownloadRequest => ({
    hub: new HubClient({ endpoint: hub.url }),
    repo: REPO,
    revision: REVISION,
    files: FILES,
    targetDir: join(root, 'models', 'std-a'),
    stagingDir: join(root, 'models', '.partial', 'std-a'),
    freeBytes: async () => 10 * 2 ** 30,
    retryDelayMs: 10,
    ...extra,
  });

  const sameAsFixture = (dir: string) => {
    for (const path of FILES) assert.deepEqual(readFileSync(join(dir, path)), readFileSync(join(FIXTURE, path)), `${path} is byte for byte the fixture's`);
  };

  async function rejected(promise: Promise<unknown>): Promise<HubError> {
    const error = await promise.then(
      () => assert.fail('the download should have failed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof HubError, `a HubError, not ${String(error)}`);
    return error;
  }

  it('downloads every file, verified, into a folder that appears only at the end', async () => {
    const seen: DownloadProgress[] = [];
    const manifest = await downloadModel(request({ onProgress: (p) => seen.push({ ...p }) }));
    const target = join(root, 'models', 'std-a');
    sameAsFixture(target);
    assert.ok(!existsSync(join(root, 'models', '.partial', 'std-a')), 'the staging folder became the model folder');
    assert.equal(readdirSync(join(target, 'onnx')).filter((n) => n.endsWith('.partial')).length, 0);
    assert.deepEqual(JSON.parse(readFileSync(join(target, DOWNLOAD_MANIFEST), 'utf8')).files, manifest.files);
    const weights = manifest.files.find((f) => f.path === WEIGHTS)!;
    assert.match(weights.sha256 ?? '', /^[0-9a-f]{64}$/, 'weights are checked by sha256');
    assert.match(manifest.files.find((f) => f.path === 'config.json')!.gitOid ?? '', /^[0-9a-f]{40}$/, 'small files by their git blob id');
    // The weights came through the redirect to the CDN; the progress ended at the total.
    assert.ok(hub.requests.some((r) => r.server === 'cdn' && r.url.includes('/lfs/')), 'the LFS file was fetched from the CDN');
    const total = manifest.files.reduce((sum, f) => sum + f.size, 0);
    assert.equal(seen.at(-1)?.receivedBytes, total);
    assert.ok(seen.every((p, i) => i === 0 || p.receivedBytes >= seen[i - 1].receivedBytes), 'progress only grows');
  });

  it('resumes a dropped connection with a Range request where the partial file ended', async () => {
    hub.faults.drop = { path: WEIGHTS, bytes: 100_000, times: 1 };
    await downloadModel(request());
    sameAsFixture(join(root, 'models', 'std-a'));
    const transfers = hub.requestsFor(WEIGHTS).filter((r) => r.server === 'cdn');
    assert.equal(transfers.length, 2, 'one dropped transfer, one resumed');
    assert.equal(transfers[0].range, undefined);
    const from = Number(/^bytes=(\d+)-$/.exec(transfers[1].range ?? '')?.[1]);
    assert.ok(from > 0 && from <= 100_000, `resumed from byte ${transfers[1].range}`);
  });

  it('keeps what arrived when cancelled, never as a model, and resumes it on the next attempt', async () => {
    hub.faults.bytesPerSecond = 200_000;
    const controller = new AbortController();
    const error = await rejected(
      downloadModel(request({ signal: controller.signal, onProgress: (p) => p.file === WEIGHTS && p.receivedBytes > 60_000 && controller.abort() })),
    );
    assert.equal(error.kind, 'cancelled');
    assert.match(error.message, /kept to resume/);
    assert.ok(!existsSync(join(root, 'models', 'std-a')), 'no model folder from a partial download');
    const partial = join(root, 'models', '.partial', 'std-a', `${WEIGHTS}.partial`);
    assert.ok(existsSync(partial), 'the partial file is kept');

    delete hub.faults.bytesPerSecond;
    hub.requests.length = 0;
    await downloadModel(request());
    sameAsFixture(join(root, 'models', 'std-a'));
    const resumed = hub.requestsFor(WEIGHTS).filter((r) => r.server === 'cdn');
    assert.equal(resumed.length, 1);
    assert.match(resumed[0].range ?? '', /^bytes=[1-9]\d*-$/, 'the second attempt asked only for the rest');
    // Files finished before the cancel are not fetched again.
    assert.equal(hub.requestsFor('config.json').length, 0);
  });

  it('starts a file over when the server ignores Range, and still verifies it', async () => {
    hub.faults.drop = { path: WEIGHTS, bytes: 50_000, times: 1 };
    hub.faults.ignoreRange = true;
    await downloadModel(request());
    sameAsFixture(join(root, 'models', 'std-a'));
  });

  it('refuses a corrupt file, naming it, and deletes its partial', async () => {
    hub.faults.corrupt = new Set([WEIGHTS]);
    const error = await rejected(downloadModel(request()));
    assert.equal(error.kind, 'integrity');
    assert.match(error.message, /onnx\/model\.onnx of endless-test\/std-a arrived corrupted: its sha256 is [0-9a-f]{64}, the Hub lists [0-9a-f]{64}/);
    assert.ok(!existsSync(join(root, 'models', '.partial', 'std-a', `${WEIGHTS}.partial`)), 'the corrupt partial is gone');
    assert.ok(!existsSync(join(root, 'models', 'std-a')), 'no model folder');
  });

  it('checks small git files by their blob id too', async () => {
    hub.faults.corrupt = new Set(['tokenizer_config.json']);
    const error = await rejected(downloadModel(request()));
    assert.equal(error.kind, 'integrity');
    assert.match(error.message, /tokenizer_config\.json .* git blob id/);
  });

  it('names a file the repository does not have (404), and a revision it does not have', async () => {
    const missing = await rejected(downloadModel(request({ files: [...FILES, 'onnx/model_q4.onnx'] })));
    assert.equal(missing.kind, 'notFound');
    assert.match(missing.message, /endless-test\/std-a at revision \w+ has no onnx\/model_q4\.onnx/);
    const revision = await rejected(downloadModel(request({ revision: 'ffffffffffffffffffffffffffffffffffffffff' })));
    assert.equal(revision.kind, 'notFound');
    assert.match(revision.message, /HTTP 404/);
    assert.equal(hub.requests.filter((r) => r.url.includes('/resolve/')).length, 0, 'nothing was downloaded');
  });

  it('a private repository: asks for a token without one, reports a refused one, downloads with the right one', async () => {
    const target = join(root, 'models', 'private');
    const privateRequest = (token?: string) => request({ hub: new HubClient({ endpoint: hub.url, token }), repo: PRIVATE, targetDir: target });
    const none = await rejected(downloadModel(privateRequest()));
    assert.equal(none.kind, 'auth');
    assert.match(none.message, /needs a Hugging Face access token \(HTTP 401\)/);
    const wrong = await rejected(downloadModel(privateRequest('hf_wrong')));
    assert.equal(wrong.kind, 'auth');
    assert.match(wrong.message, /refused the access token/);
    hub.requests.length = 0;
    await downloadModel(privateRequest(TOKEN));
    sameAsFixture(target);
    // The token goes to the Hub only, never to the CDN the weights are redirected to.
    assert.ok(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === `Bearer ${TOKEN}`));
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    assert.ok(cdn.length > 0 && cdn.every((r) => r.authorization === undefined), 'no Authorization header reached the CDN');
  });

  it('says the machine is offline when the endpoint cannot be reached', async () => {
    const closed = new FakeHub();
    const url = await closed.start();
    await closed.stop();
    const error = await rejected(downloadModel(request({ hub: new HubClient({ endpoint: url }) })));
    assert.equal(error.kind, 'offline');
    assert.match(error.message, /Cannot reach http:\/\/127\.0\.0\.1:\d+: this machine seems to be offline/);
  });

  it('checks free disk space before fetching any file', async () => {
    const error = await rejected(downloadModel(request({ freeBytes: async () => 1_000_000 })));
    assert.equal(error.kind, 'disk');
    assert.match(error.message, /Not enough disk space: endless-test\/std-a needs .* more .* only 1\.0 MB is free/);
    assert.equal(hub.requests.filter((r) => r.url.includes('/resolve/')).length, 0);
  });

  it('gives up after repeated drops, keeping the partial file to resume later', async () => {
    hub.faults.drop = { path: WEIGHTS, bytes: 100_000, times: 10 };
    const error = await rejected(downloadModel(request({ retries: 1 })));
    assert.equal(error.kind, 'offline');
    assert.match(error.message, /kept dropping while downloading onnx\/model\.onnx .* choose the model again to resume/);
    assert.ok(existsSync(join(root, 'models', '.partial', 'std-a', `${WEIGHTS}.partial`)));
    delete hub.faults.drop;
    await downloadModel(request());
    sameAsFixture(join(root, 'models', 'std-a'));
  });
});
