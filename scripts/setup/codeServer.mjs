// code-server (VS Code in the browser, with a real Node extension host), pinned, installed
// into .cache/ with the pinned Node 24. Its native modules are compiled on install; npm may
// skip install scripts it has not been told to allow, so every native module is loaded once
// to prove it built, and the install scripts are run explicitly when one did not.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  CODE_SERVER_ENTRY,
  CODE_SERVER_PKG,
  CODE_SERVER_PREFIX,
  CODE_SERVER_VERSION,
  NODE_BIN,
  node24Env,
} from './paths.mjs';
import { mustRun } from './exec.mjs';

const MARKER = path.join(CODE_SERVER_PREFIX, '.verified');
const LOCK_DIR = fileURLToPath(new URL('./code-server/', import.meta.url));

// The native modules code-server needs on Linux, and the folder each is required from.
const NATIVE_MODULES = [
  ['lib/vscode', '@vscode/spdlog'],
  ['lib/vscode', '@vscode/sqlite3'],
  ['lib/vscode', '@vscode/native-watchdog'],
  ['lib/vscode', 'kerberos'],
  ['lib/vscode', 'node-pty'],
  ['lib/vscode', '@parcel/watcher'],
  ['.', 'argon2'],
];

/** Native modules that do not load under Node 24, each with the loader's message. */
export function brokenNativeModules() {
  const broken = [];
  for (const [dir, name] of NATIVE_MODULES) {
    try {
      execFileSync(NODE_BIN, ['-e', `require(${JSON.stringify(name)})`], {
        cwd: path.join(CODE_SERVER_PKG, dir),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      const message = String(error.stderr ?? error.message).split('\n').find((line) => /Error/.test(line)) ?? 'failed to load';
      broken.push(`${name} (${message.trim()})`);
    }
  }
  return broken;
}

function installedVersion() {
  const manifest = path.join(CODE_SERVER_PKG, 'package.json');
  if (!existsSync(manifest)) return undefined;
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}

export async function ensureCodeServer() {
  if (installedVersion() === CODE_SERVER_VERSION && existsSync(MARKER) && existsSync(CODE_SERVER_ENTRY)) return 'present';
  if (!existsSync(NODE_BIN)) throw new Error('Node 24 must be set up before code-server.');
  const env = node24Env();
  mkdirSync(CODE_SERVER_PREFIX, { recursive: true });
  if (installedVersion() !== CODE_SERVER_VERSION) {
    // A folder of its own, installed from the lockfile kept beside this script, so that
    // code-server's whole dependency tree is pinned and the project's lockfile stays untouched.
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(LOCK_DIR, file), path.join(CODE_SERVER_PREFIX, file));
    await mustRun('npm', ['ci', '--no-audit', '--no-fund', '--foreground-scripts'], {
      cwd: CODE_SERVER_PREFIX,
      env,
      label: 'code-server',
    });
  }
  let broken = brokenNativeModules();
  if (broken.length > 0) {
    // npm runs install scripts it has not been told to allow in some configurations only;
    // `npm rebuild` runs code-server's postinstall (which builds VS Code's modules) explicitly.
    console.log(`[code-server] native modules missing: ${broken.join(', ')}; rebuilding`);
    await mustRun('npm', ['rebuild', '--foreground-scripts', 'code-server', 'argon2'], {
      cwd: CODE_SERVER_PREFIX,
      env,
      label: 'code-server rebuild',
    });
    broken = brokenNativeModules();
    if (broken.length > 0) {
      throw new Error(
        `code-server's native modules do not load: ${broken.join(', ')}. ` +
          'Check that build-essential, pkg-config and libkrb5-dev are installed, then delete ' +
          `${path.relative(process.cwd(), CODE_SERVER_PREFIX)} and run this again.`,
      );
    }
  }
  writeFileSync(MARKER, `${CODE_SERVER_VERSION}\n`);
  return `installed ${CODE_SERVER_VERSION}`;
}
