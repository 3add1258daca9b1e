// Builds the extension and packages it as a .vsix, the file a user installs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';
import { mustRun } from '../setup/exec.mjs';

const manifest = () => JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

export function vsixPath() {
  const { name, version } = manifest();
  return path.join(ROOT, `${name}-${version}.vsix`);
}

export async function buildExtension() {
  await mustRun(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, label: 'build' });
}

/** Runs `npm run package` (stdin closed, so vsce cannot stop to ask) and returns the .vsix. */
export async function packageExtension() {
  if (!manifest().scripts?.package) throw new Error('package.json has no "package" script to make the .vsix');
  await mustRun('npm', ['run', 'package', '--silent'], { cwd: ROOT, label: 'package' });
  const vsix = vsixPath();
  if (!existsSync(vsix)) throw new Error(`\`npm run package\` did not produce ${path.relative(ROOT, vsix)}`);
  return vsix;
}
