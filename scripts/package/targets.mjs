// The platforms Endless is packaged for: one per folder of native binaries that onnxruntime-node
// ships (bin/napi-v6/<os>/<arch>), named as `vsce package --target` names them. Each package
// holds the common files (.vscodeignore) plus its own platform's binaries, and nothing of the
// others'.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';

export const NATIVE_ROOT = 'node_modules/onnxruntime-node/bin/napi-v6';

/** The targets vsce knows (`vsce package --help`); a native folder outside them is an error. */
const VSCE_TARGETS = new Set([
  'win32-x64', 'win32-arm64', 'linux-x64', 'linux-arm64', 'linux-armhf', 'darwin-x64', 'darwin-arm64', 'alpine-x64', 'alpine-arm64',
]);

/** `linux-x64`, … for every <os>/<arch> folder of native binaries onnxruntime-node ships. */
export function shippedTargets(root = ROOT) {
  const base = path.join(root, NATIVE_ROOT);
  const targets = readdirSync(base).flatMap((os) => readdirSync(path.join(base, os)).map((arch) => `${os}-${arch}`));
  for (const target of targets) {
    if (!VSCE_TARGETS.has(target)) throw new Error(`onnxruntime-node ships binaries for ${target}, which vsce cannot target`);
  }
  return targets.sort();
}

/** The folder of `target`'s native binaries, relative to the extension root. */
export function nativeDir(target) {
  const [os, arch] = target.split('-');
  return `${NATIVE_ROOT}/${os}/${arch}`;
}

/** The native files of `target` as paths relative to the extension root. */
export function nativeFiles(target, root = ROOT) {
  const dir = nativeDir(target);
  return readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`).sort();
}

/** The .vscodeignore for one target: the common rules and a line that lets its binaries in. */
export function ignoreRules(target, root = ROOT) {
  const common = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  return `${common.trimEnd()}\n# ${target}'s native binaries\n!${nativeDir(target)}/**\n`;
}

export function vsixFileName(target, root = ROOT) {
  const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return `${name}-${target}-${version}.vsix`;
}

/** `linux-x64` on this machine; the package the end-to-end tests install. */
export function hostTarget() {
  return `${process.platform}-${process.arch}`;
}
