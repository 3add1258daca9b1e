// Installs whatever the harness is missing; every step is idempotent and cheap when done.
// Run directly (`node scripts/setup/index.mjs [--only npm,node,debian,code-server]`) or
// imported by `npm start` and `npm test`.
import { pathToFileURL } from 'node:url';
import { ensureCodeServer } from './codeServer.mjs';
import { ensureDebianPackages } from './debian.mjs';
import { ensureNode24 } from './node24.mjs';
import { ensureNpmDeps } from './npmDeps.mjs';
import { timed } from './exec.mjs';

/**
 * Sets everything up. Apt and the two npm downloads are independent, so they run side by side;
 * code-server compiles against both Node 24 and the Debian toolchain, so it comes last.
 * Returns the seconds spent per step.
 */
export async function setup({ only } = {}) {
  const want = (name) => !only || only.includes(name);
  const start = Date.now();
  const steps = {};
  const record = (name, fn) =>
    timed(name, fn).then(({ result, seconds }) => {
      steps[name] = { result, seconds };
      console.log(`[setup] ${name}: ${result}`);
    });
  const first = [];
  if (want('debian')) first.push(record('debian packages', ensureDebianPackages));
  if (want('npm')) first.push(record('npm dependencies', ensureNpmDeps));
  if (want('node') || want('code-server')) first.push(record('node 24', ensureNode24));
  const settled = await Promise.allSettled(first);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  if (want('code-server')) await record('code-server', ensureCodeServer);
  const total = (Date.now() - start) / 1000;
  console.log(`[setup] ready in ${total.toFixed(1)} s`);
  return { steps, total };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : undefined;
  setup({ only }).catch((error) => {
    console.error(`[setup] ${error.message}`);
    process.exit(1);
  });
}
