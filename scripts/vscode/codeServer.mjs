// Starts and stops code-server (real VS Code, served to a browser) with a given profile.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { CODE_SERVER_ENTRY, NODE_BIN } from '../setup/paths.mjs';
import { mustRun } from '../setup/exec.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function profileArgs(dirs) {
  return ['--config', dirs.config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

/** Installs a .vsix into the profile, as a user's `code --install-extension` would. */
export async function installExtension(dirs, vsix) {
  await mustRun(NODE_BIN, [CODE_SERVER_ENTRY, ...profileArgs(dirs), '--install-extension', vsix, '--force'], {
    label: 'install-extension',
    quiet: true,
  });
}

async function waitForHealth(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(new URL('healthz', url));
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Starts code-server for a person at a browser: anyone on this machine can reach 127.0.0.1, so
 * the editor (with its terminal) asks for a random password that only the caller sees.
 */
export async function startPrivateCodeServer(options) {
  const password = randomBytes(18).toString('base64url');
  return { ...(await startCodeServer({ ...options, password })), password };
}

/**
 * Starts code-server on 127.0.0.1 and resolves once it answers. `env` reaches the extension
 * host too (it is a child of the server). `log` receives every output line. With `password`
 * the editor asks for it (other local users and processes can reach 127.0.0.1 too); it goes
 * through the environment, which only this user can read, not the command line.
 */
export async function startCodeServer({ dirs, port, args = [], env = {}, log = () => {}, timeoutMs = 60_000, password }) {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const auth = password ? { PASSWORD: password } : {};
  const child = spawn(
    NODE_BIN,
    [
      CODE_SERVER_ENTRY,
      '--auth', password ? 'password' : 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...profileArgs(dirs),
      ...args,
    ],
    { env: { ...process.env, ...env, ...auth }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) log(line);
    });
  }
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(url, child, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, child, stop, exited };
}
