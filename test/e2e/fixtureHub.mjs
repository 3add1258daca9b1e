// The Hub the browser tests download from: the local stand-in (test/hub/fakeHub.ts) serving the
// first catalogue model's repository, at its pinned revision, with the fixture model std-a's
// files under the catalogue's file names. The weights are sent slowly enough that the progress
// notification can be watched. Real Hub access is never tested here (no network).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { ROOT } from '../../scripts/setup/paths.mjs';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'models', 'std-a');
const CATALOGUE = path.join(ROOT, 'src', 'models', 'catalogue.json');

/** Starts the server; returns it with the catalogue entry it serves. */
export async function startFixtureHub() {
  const { FakeHub, folderFiles } = await tsImport('../hub/fakeHub.ts', import.meta.url);
  const entry = JSON.parse(readFileSync(CATALOGUE, 'utf8')).models[0];
  const weights = entry.files.find((file) => file.startsWith('onnx/'));
  const hub = new FakeHub();
  await hub.start();
  hub.repos.set(entry.repo, { revision: entry.revision, files: folderFiles(FIXTURE, { 'onnx/model.onnx': weights }) });
  // ~0.5 MB of weights at 100 KB/s: about five seconds of progress.
  hub.faults.bytesPerSecond = 100_000;
  return { hub, entry };
}
