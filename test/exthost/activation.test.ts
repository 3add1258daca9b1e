import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, endlessApi } from './endless';

describe('activation', () => {
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
});
