// The project's own npm dependencies, installed exactly from package-lock.json.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { mustRun } from './exec.mjs';

function isStale() {
  // npm writes node_modules/.package-lock.json after every install; when package-lock.json is
  // newer, someone changed dependencies since.
  const hidden = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return true;
  return statSync(path.join(ROOT, 'package-lock.json')).mtimeMs > statSync(hidden).mtimeMs + 1000;
}

export async function ensureNpmDeps() {
  if (!isStale()) return 'present';
  // onnxruntime-node's postinstall fetches a GPU provider from the internet; the CPU binaries
  // the extension uses ship in the package itself. node-llama-cpp (a benchmark peer) would try
  // to download or build llama.cpp; its prebuilt CPU binary ships in @node-llama-cpp/linux-x64.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' };
  await mustRun('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, env, label: 'npm ci' });
  return 'installed';
}
