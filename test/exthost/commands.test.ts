import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { endlessApi, openWorkspaceFile, waitFor } from './endless';

describe('commands', () => {
  it('endless.toggleInlineCompletions turns the provider off and on again', async () => {
    const api = await endlessApi();
    const config = () => vscode.workspace.getConfiguration('endless');
    const document = await openWorkspaceFile('src/shapes.ts');
    // A statement begun on a new line, so that something must follow.
    const editor = vscode.window.activeTextEditor!;
    const end = document.lineAt(10).range.end;
    await editor.edit((edit) => edit.insert(end, '\n  return '));
    const position = new vscode.Position(end.line + 1, '  return '.length);
    try {
      assert.equal(config().get('completion.enabled'), true);
      assert.equal(typeof (await api.provideCompletion(document, position)), 'string', 'ghost text while on');
      await vscode.commands.executeCommand('endless.toggleInlineCompletions');
      try {
        await waitFor('completions to be off', () => config().get('completion.enabled') === false);
        assert.equal(await api.provideCompletion(document, position), undefined, 'no ghost text while off');
      } finally {
        await vscode.commands.executeCommand('endless.toggleInlineCompletions');
      }
      await waitFor('completions to be on', () => config().get('completion.enabled') === true);
      assert.equal(typeof (await api.provideCompletion(document, position)), 'string', 'ghost text comes back');
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  it('endless.resetCaches empties the chat cache and the chat goes on', async () => {
    const api = await endlessApi();
    await api.chat('Write a haiku about caches.');
    await waitFor('a filled chat cache', () => (api.stats()?.streams.chat.window ?? 0) > 0);
    await vscode.commands.executeCommand('endless.resetCaches');
    const chat = await waitFor('an empty chat cache', () => {
      const s = api.stats()?.streams.chat;
      return s && s.free === s.capacity ? s : undefined;
    }, 30_000);
    assert.equal(chat.window, 0, `nothing left in the window: ${JSON.stringify(chat)}`);
    const reply = await api.chat('Now a function that returns 42 in Python.');
    assert.ok(reply.trim().length > 0, 'the chat answers after the reset');
  });
});
