// `npm start` serves VS Code with a terminal on 127.0.0.1, which every local user and process
// can reach: the editor must ask for the password printed to the one who started it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../engine/helpers';

const ENTRY = join(ROOT, 'scripts/vscode/codeServer.mjs');

test('the editor npm start serves asks for its random password', { timeout: 120_000 }, async (t) => {
  const paths = (await import(join(ROOT, 'scripts/setup/paths.mjs'))) as { CODE_SERVER_ENTRY: string };
  if (!existsSync(paths.CODE_SERVER_ENTRY)) return t.skip(`code-server is not installed (${paths.CODE_SERVER_ENTRY}): run npm run setup`);
  const { startPrivateCodeServer } = (await import(ENTRY)) as {
    startPrivateCodeServer: (o: object) => Promise<{ url: string; password: string; stop: () => Promise<void> }>;
  };
  const { prepareProfile, removeProfile } = (await import(join(ROOT, 'scripts/vscode/profile.mjs'))) as {
    prepareProfile: (name: string, settings: object, o: object) => object;
    removeProfile: (dirs: object) => void;
  };
  const dirs = prepareProfile('auth-test', {}, { fresh: true });
  const server = await startPrivateCodeServer({ dirs });
  try {
    assert.ok(server.password.length >= 20, 'a long random password');
    const anonymous = await fetch(server.url, { redirect: 'manual' });
    assert.equal(anonymous.status, 302, 'without the password the editor is not served');
    assert.match(anonymous.headers.get('location') ?? '', /login/);
    const wrong = await fetch(new URL('login', server.url), { method: 'POST', body: new URLSearchParams({ password: 'guess' }), redirect: 'manual' });
    assert.equal(wrong.headers.get('set-cookie'), null, 'a wrong password gets no session');
    const login = await fetch(new URL('login', server.url), { method: 'POST', body: new URLSearchParams({ password: server.password }), redirect: 'manual' });
    const cookie = login.headers.get('set-cookie');
    assert.ok(cookie, `the printed password logs in (status ${login.status})`);
    const editor = await fetch(server.url, { headers: { cookie: cookie.split(';')[0] }, redirect: 'manual' });
    assert.equal(editor.status, 200);
  } finally {
    await server.stop();
    removeProfile(dirs);
  }
});
