// `npm test`: installs what is missing, builds, and runs every test suite.
// Exits non-zero when any suite fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync('node_modules/.package-lock.json')) {
  // onnxruntime-node's postinstall downloads a GPU provider; the CPU binaries ship in the tarball.
  run('npm', ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}
run('node', ['esbuild.config.mjs']);
run('node', ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/unit/**/*.test.ts']);
