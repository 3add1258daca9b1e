// `npm start`: installs what is missing, builds and packages Endless, then serves VS Code
// (code-server) on 127.0.0.1 with the extension installed and the sample workspace open.
//   npm start [-- --port 8080]
import path from 'node:path';
import { setup } from './setup/index.mjs';
import { ROOT } from './setup/paths.mjs';
import { buildExtension, packageExtension } from './vscode/extension.mjs';
import { prepareProfile } from './vscode/profile.mjs';
import { freePort, installExtension, startPrivateCodeServer } from './vscode/codeServer.mjs';
import { testModelDirectory } from './vscode/model.mjs';

const WORKSPACE = path.join(ROOT, 'test', 'workspace');

function requestedPort() {
  const flag = process.argv.indexOf('--port');
  const value = flag > 0 ? process.argv[flag + 1] : process.env.PORT;
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port/PORT must be a TCP port number (1-65535), got ${JSON.stringify(value)}`);
  }
  return port;
}

async function main() {
  const port = requestedPort() ?? (await freePort());
  await setup();
  await buildExtension();
  const vsix = await packageExtension();
  // Not fresh: the chat transcript and settings survive from one `npm start` to the next.
  const dirs = prepareProfile('start', { 'endless.modelDirectory': testModelDirectory() });
  await installExtension(dirs, vsix);
  const server = await startPrivateCodeServer({
    dirs,
    port,
    args: [WORKSPACE],
    log: (line) => console.log(`[code-server] ${line}`),
  });
  console.log(`
Endless is running in VS Code (code-server) with the sample workspace:

    ${server.url}?folder=${encodeURIComponent(WORKSPACE)}
    password: ${server.password}

Open it in a browser and enter the password; the Endless chat is in the activity bar. Press Ctrl+C to stop.
To use Endless in desktop VS Code instead:

    code --install-extension ${vsix}
`);
  const stop = () => server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await server.exited;
  process.exit(code ?? 0);
}

main().catch((error) => {
  console.error(`[start] ${error.message}`);
  process.exit(1);
});
