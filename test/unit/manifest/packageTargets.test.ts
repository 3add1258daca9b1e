// The platform packages: one per native folder onnxruntime-node ships, and the files vsce would
// put in each (vsce's own file listing, with the ignore rules `npm run package` writes) hold
// exactly that platform's binaries. `npm run package` checks the zipped result the same way.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { listFiles } from '@vscode/vsce';
// @ts-expect-error: plain ESM build scripts without type declarations
import { nativeProblems, strayFiles } from '../../../scripts/package/check.mjs';
// @ts-expect-error: plain ESM build scripts without type declarations
import { ignoreRules, nativeFiles, shippedTargets } from '../../../scripts/package/targets.mjs';
// @ts-expect-error: plain ESM build scripts without type declarations
import { ROOT } from '../../../scripts/setup/paths.mjs';

const scratch = mkdtempSync(path.join(tmpdir(), 'endless-ignore-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('platform packages', () => {
  it('one per platform onnxruntime-node 1.30 ships binaries for', () => {
    assert.deepEqual(shippedTargets(), ['darwin-arm64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64']);
  });

  for (const target of shippedTargets() as string[]) {
    it(`${target}: its own native files and nothing else`, async () => {
      const ignoreFile = path.join(scratch, `${target}.vscodeignore`);
      writeFileSync(ignoreFile, ignoreRules(target));
      const files = (await listFiles({ cwd: ROOT, ignoreFile })).map((file) => file.split(path.sep).join('/'));
      assert.ok((nativeFiles(target) as string[]).length >= 2, `${target} has a binding and a runtime library`);
      assert.deepEqual(nativeProblems(files, target), []);
      assert.deepEqual(strayFiles(files), []);
      assert.ok(files.includes('models/default/onnx/model.onnx'), 'the bundled model is packaged');
      assert.ok(files.includes('LICENSE'), 'the licence is packaged');
      assert.ok(files.includes('media/icon.png'), 'the icon is packaged');
    });
  }

  it('the check catches another platform\'s binaries', () => {
    const linux = nativeFiles('linux-x64') as string[];
    assert.ok((nativeProblems(linux, 'win32-x64') as string[]).some((p) => p.includes('linux/x64')));
  });
});
