// Checks a platform package: the extension's own files are there, the native binaries are
// exactly its platform's, and nothing from sources, tests or tools slipped in.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';
import { NATIVE_ROOT, nativeFiles } from './targets.mjs';

const IN_VSIX = 'extension/';

/** Files every package must hold, relative to the extension root. */
export function requiredFiles(root = ROOT) {
  const model = path.join(root, 'models', 'default');
  const modelFiles = readdirSync(model, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
  return [
    // vsce renames these three on the way in.
    'readme.md',
    'changelog.md',
    'LICENSE.txt',
    'package.json',
    'dist/extension.js',
    'dist/worker.js',
    'dist/webview.js',
    'media/icon.png',
    'media/endless.svg',
    'media/chat.css',
    'node_modules/onnxruntime-node/dist/index.js',
    'node_modules/onnxruntime-common/dist/cjs/index.js',
    ...modelFiles,
  ];
}

const FORBIDDEN = [/^src\//, /^test\//, /^tools\//, /^bench\//, /^scripts\//, /^\.cache\//, /\.map$/, /\.ts$/, /\.vsix$/];

/** Problems with the native binaries among `files` (paths relative to the extension root). */
export function nativeProblems(files, target, root = ROOT) {
  const present = new Set(files);
  const expected = new Set(nativeFiles(target, root));
  const problems = [];
  for (const file of present) {
    if (file.startsWith(`${NATIVE_ROOT}/`) && !expected.has(file)) problems.push(`holds another platform's or an unknown native file: ${file}`);
  }
  for (const file of expected) if (!present.has(file)) problems.push(`missing native file ${file}`);
  return problems;
}

/** Files among `files` that do not run: sources, tests, tools, source maps. */
export function strayFiles(files) {
  return files.filter((file) => FORBIDDEN.some((pattern) => pattern.test(file)));
}

/**
 * Problems with a package for `target` that holds `entries` (zip entry names); empty when it is
 * right.
 */
export function packageProblems(entries, target, root = ROOT) {
  const files = entries.filter((name) => name.startsWith(IN_VSIX)).map((name) => name.slice(IN_VSIX.length));
  const present = new Set(files);
  return [
    ...requiredFiles(root).filter((file) => !present.has(file)).map((file) => `missing ${file}`),
    ...nativeProblems(files, target, root),
    ...strayFiles(files).map((file) => `holds a file that does not run: ${file}`),
  ];
}
