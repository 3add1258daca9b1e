import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EndlessApi } from '../../src/api';
import { EXTENSION_ID, endlessApi } from './endless';

describe('activation', () => {
  // First test of the first suite: nothing has used Endless in this window yet.
  it('starts no engine worker before first use, then loads the model when used', async () => {
    const extension = vscode.extensions.getExtension<EndlessApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    const api = await extension.activate();
    assert.ok(extension.isActive, 'extension is active');
    assert.equal(api.engineState(), 'idle', 'no worker exists after activation');
    assert.equal(api.stats(), undefined, 'no cache statistics without a worker');
    // Commands that need no model leave the engine idle.
    await vscode.commands.executeCommand('endless.resetCaches');
    await vscode.commands.executeCommand('endless.showCacheStatus');
    assert.equal(api.engineState(), 'idle', 'reset and status do not start the engine');
    const model = await api.whenReady();
    assert.equal(api.engineState(), 'ready');
    assert.ok(model.name.length > 0);
  });

  it('activates in the extension host and loads the model', async () => {
    const api = await endlessApi();
    const model = await api.whenReady();
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 'extension is active');
    assert.ok(model.name.length > 0, 'model has a name');
    assert.ok(model.layers > 0 && model.vocabSize > 0, `model shape is real: ${JSON.stringify(model)}`);
  });

  it('registers every command it contributes', async () => {
    await endlessApi();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed: { command: string }[] =
      vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.contributes?.commands ?? [];
    const expected = [
      'endless.openChat',
      'endless.newSession',
      'endless.stop',
      'endless.showCacheStatus',
      'endless.toggleInlineCompletions',
      'endless.resetCaches',
    ];
    for (const command of expected) {
      assert.ok(contributed.some((c) => c.command === command), `${command} is contributed in package.json`);
    }
    for (const { command } of contributed) {
      assert.ok(registered.has(command), `${command} is registered`);
    }
  });

  it('files every command under the Endless category, titles without a prefix', async () => {
    const contributed: { command: string; title: string; category?: string }[] =
      vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON?.contributes?.commands ?? [];
    assert.ok(contributed.length >= 8, `${contributed.length} commands contributed`);
    for (const { command, title, category } of contributed) {
      assert.equal(category, 'Endless', `${command} has the Endless category`);
      assert.ok(!title.startsWith('Endless'), `${command}'s title "${title}" does not repeat the category`);
    }
  });
});
