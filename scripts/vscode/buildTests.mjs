// Bundles the extension-host suites (test/exthost/*.ts) to out/exthost/, one CommonJS file per
// suite, so that VS Code's extension host can load them with require(). `vscode` is provided
// by the host; mocha is loaded from the repository's node_modules.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT } from '../setup/paths.mjs';

export const EXTHOST_OUT = path.join(ROOT, 'out', 'exthost');

export async function buildExtensionHostTests() {
  const dir = path.join(ROOT, 'test', 'exthost');
  const entryPoints = readdirSync(dir)
    .filter((name) => name === 'index.ts' || name.endsWith('.test.ts'))
    .map((name) => path.join(dir, name));
  await esbuild.build({
    entryPoints,
    outdir: EXTHOST_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return EXTHOST_OUT;
}
