import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, endlessApi, openWorkspaceFile, waitFor } from './endless';

describe('commands', () => {
  it('Stop is enabled, and shown in the view title, only while a reply streams', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON;
    const stop = manifest.contributes.commands.find((c: { command: string }) => c.command === 'endless.stop');
    assert.equal(stop.enablement, 'endless.streaming');
    const inTitle = manifest.contributes.menus['view/title'].find((m: { command: string }) => m.command === 'endless.stop');
    assert.match(inTitle.when, /\bendless\.streaming\b/);

    const api = await endlessApi();
    assert.equal(api.streamingContext(), false, 'not streaming before a message');
    const whileStreaming: boolean[] = [];
    await api.chat('Write a short TypeScript function that adds two numbers.', () => whileStreaming.push(api.streamingContext()));
    assert.ok(whileStreaming.length > 0 && whileStreaming.every(Boolean), `streaming while tokens arrive: ${whileStreaming.join(',')}`);
    await waitFor('the streaming key to clear', () => api.streamingContext() === false, 5000);
  });

  it('endless.toggleInlineCompletions turns the provider off and on again', async () => {
    const api = await endlessApi();
    const config = () => vscode.workspace.getConfiguration('endless');
    const document = await openWorkspaceFile('src/shapes.ts');
    // A declaration begun on a new line (after `const dy = ...`), so that something must follow.
    const editor = vscode.window.activeTextEditor!;
    const end = document.lineAt(9).range.end;
    await editor.edit((edit) => edit.insert(end, '\n  const d = '));
    const position = new vscode.Position(end.line + 1, '  const d = '.length);
    // VS Code asks for ghost text at the cursor, and the editor stream is fed around it.
    editor.selection = new vscode.Selection(position, position);
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
