// `npm run test:desktop`: the same extension-host suites in desktop VS Code, downloaded by
// @vscode/test-electron (needs internet access to update.code.visualstudio.com; CI runs the
// suites in code-server instead, through run.mjs).
import path from 'node:path';
import { setup } from '../../scripts/setup/index.mjs';
import { ROOT } from '../../scripts/setup/paths.mjs';
import { buildExtension } from '../../scripts/vscode/extension.mjs';
import { prepareProfile } from '../../scripts/vscode/profile.mjs';
import { testModelDirectory } from '../../scripts/vscode/model.mjs';

// Set-up first: what follows needs the npm packages.
await setup({ only: ['npm'] });
const { runTests } = await import('@vscode/test-electron');
const { buildExtensionHostTests } = await import('../../scripts/vscode/buildTests.mjs');
const { EXTHOST_SETTINGS } = await import('./run.mjs');
await buildExtension();
const testsDir = await buildExtensionHostTests();
const dirs = prepareProfile('desktop', { ...EXTHOST_SETTINGS, 'endless.modelDirectory': testModelDirectory() }, { fresh: true });
const resultsDir = path.join(ROOT, 'test-results', 'desktop');
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(testsDir, 'index'),
    extensionTestsEnv: { ENDLESS_TEST_RESULTS: path.join(resultsDir, 'results.json') },
    launchArgs: [
      path.join(ROOT, 'test', 'workspace'),
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      '--disable-workspace-trust',
    ],
  });
} catch (error) {
  console.error(`[desktop] ${error.message ?? error}`);
  process.exit(1);
}
