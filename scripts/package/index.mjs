// `npm run package`: one .vsix per platform onnxruntime-node ships binaries for, in vsix/, each
// with only its own native files, each checked after it is written; then a table of sizes.
//   npm run package                         every platform
//   npm run package -- --target linux-x64   only the named one(s)
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE, ROOT } from '../setup/paths.mjs';
import { packageProblems } from './check.mjs';
import { ignoreRules, shippedTargets, vsixFileName } from './targets.mjs';
import { zipEntries } from './zipEntries.mjs';

export const VSIX_DIR = path.join(ROOT, 'vsix');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');

function run(args) {
  // stdin closed: vsce must never stop to ask a question.
  const child = spawn(process.execPath, [VSCE, ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vsce ${args.join(' ')} exited with ${code}`))));
  });
}

/** Packages, checks and returns the .vsix of `target`. */
export async function packageTarget(target) {
  const ignoreFile = path.join(CACHE, 'package', `${target}.vscodeignore`);
  mkdirSync(path.dirname(ignoreFile), { recursive: true });
  writeFileSync(ignoreFile, ignoreRules(target));
  mkdirSync(VSIX_DIR, { recursive: true });
  const out = path.join(VSIX_DIR, vsixFileName(target));
  rmSync(out, { force: true });
  // The README's screenshot ships in the package (docs/images/) and is linked relatively: the
  // repository has no public address for vsce to rewrite the link to.
  await run(['package', '--target', target, '--ignoreFile', ignoreFile, '--no-rewrite-relative-links', '--out', out]);
  const problems = packageProblems(zipEntries(out), target);
  if (problems.length > 0) throw new Error(`${path.relative(ROOT, out)} is wrong:\n  ${problems.join('\n  ')}`);
  return out;
}

function requestedTargets(argv) {
  const shipped = shippedTargets();
  const named = argv.flatMap((arg, i) => (argv[i - 1] === '--target' ? [arg] : []));
  for (const target of named) {
    if (!shipped.includes(target)) throw new Error(`--target ${target}: onnxruntime-node ships binaries for ${shipped.join(', ')} only`);
  }
  return named.length > 0 ? named : shipped;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = [];
  for (const target of requestedTargets(process.argv.slice(2))) {
    console.log(`[package] ${target}`);
    built.push(await packageTarget(target));
  }
  console.log('\n| package | size |\n|---|---|');
  for (const file of built) console.log(`| ${path.basename(file)} | ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB |`);
}
