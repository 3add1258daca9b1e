// Debian packages the harness needs. Installed with apt when running as root (as CI does);
// otherwise set-up stops and says exactly what to install.
import { execFileSync } from 'node:child_process';
import { DEBIAN_PACKAGES } from './paths.mjs';
import { mustRun } from './exec.mjs';

function isInstalled(pkg) {
  try {
    const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] });
    return status.toString().includes('install ok installed');
  } catch {
    return false;
  }
}

export function missingDebianPackages(packages = DEBIAN_PACKAGES) {
  return packages.filter((pkg) => !isInstalled(pkg));
}

export async function ensureDebianPackages(packages = DEBIAN_PACKAGES) {
  const missing = missingDebianPackages(packages);
  if (missing.length === 0) return 'present';
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Missing Debian packages: ${missing.join(', ')}.\n` +
        `Install them as root, then run this again:\n  sudo sh -c '${command}'`,
    );
  }
  // noninteractive: CI has no terminal; a debconf question would otherwise hang the run.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for another apt run (e.g. unattended upgrades) instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=900'];
  await mustRun('apt-get', [...lock, 'update'], { env, label: 'apt', quiet: true });
  await mustRun('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...missing], { env, label: 'apt', quiet: true });
  const still = missingDebianPackages(packages);
  if (still.length > 0) throw new Error(`apt-get reported success but these are still missing: ${still.join(', ')}`);
  return `installed ${missing.join(' ')}`;
}
