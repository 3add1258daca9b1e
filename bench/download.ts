// Throughput of the download core over loopback: a model of SIZE_MB random bytes served by the
// local Hub stand-in (redirect to its CDN included), written, hashed and renamed into place.
// Shows what the download itself costs on this machine, apart from the network.
//   node --import tsx bench/download.ts [SIZE_MB=200]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadModel } from '../src/models/download';
import { HubClient } from '../src/models/hubClient';
import { FakeHub } from '../test/hub/fakeHub';

async function main(): Promise<void> {
  const sizeMb = Number(process.argv[2] ?? 200);
  const hub = new FakeHub();
  await hub.start();
  const weights = Buffer.alloc(sizeMb * 1e6);
  for (let at = 0; at < weights.length; at += 1 << 20) randomBytes(Math.min(1 << 20, weights.length - at)).copy(weights, at);
  hub.repos.set('bench/model', { revision: 'f'.repeat(40), files: new Map([['config.json', Buffer.from('{}')], ['onnx/model.onnx', weights]]) });
  const root = mkdtempSync(join(tmpdir(), 'endless-bench-download-'));
  try {
    const started = performance.now();
    await downloadModel({
      hub: new HubClient({ endpoint: hub.url }),
      repo: 'bench/model',
      revision: 'f'.repeat(40),
      files: ['config.json', 'onnx/model.onnx'],
      targetDir: join(root, 'model'),
      stagingDir: join(root, '.partial', 'model'),
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(`downloaded ${sizeMb} MB over loopback in ${seconds.toFixed(2)} s: ${(sizeMb / seconds).toFixed(0)} MB/s (write + sha256 + verify + rename)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
    await hub.stop();
  }
}

void main();
