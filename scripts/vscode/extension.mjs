// Builds the extension and packages it as a .vsix for this machine's platform, the file a user
// installs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';
import { mustRun } from '../setup/exec.mjs';
import { VSIX_DIR } from '../package/index.mjs';
import { hostTarget, vsixFileName } from '../package/targets.mjs';

export function vsixPath() {
  return path.join(VSIX_DIR, vsixFileName(hostTarget()));
}

export async function buildExtension() {
  await mustRun(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, label: 'build' });
}

/** Runs `npm run package` for this platform (stdin closed, so vsce cannot stop to ask) and returns the .vsix. */
export async function packageExtension() {
  await mustRun('npm', ['run', 'package', '--silent', '--', '--target', hostTarget()], { cwd: ROOT, label: 'package' });
  const vsix = vsixPath();
  if (!existsSync(vsix)) throw new Error(`\`npm run package\` did not produce ${path.relative(ROOT, vsix)}`);
  return vsix;
}
