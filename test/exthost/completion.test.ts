import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { endlessApi, openWorkspaceFile, waitFor } from './endless';

/**
 * Opens a workspace file, starts a new line after `anchor` with `typed` on it (a statement
 * begun, so that something must follow) and asks for a completion at its end.
 */
async function completeAfter(
  file: string,
  anchor: string,
  typed: string,
  trigger = vscode.InlineCompletionTriggerKind.Automatic,
  token?: vscode.CancellationToken,
): Promise<string | undefined> {
  const api = await endlessApi();
  const document = await openWorkspaceFile(file);
  const offset = document.getText().indexOf(anchor);
  assert.ok(offset >= 0, `${anchor} is in ${file}`);
  const editor = vscode.window.activeTextEditor!;
  const end = document.positionAt(offset + anchor.length);
  await editor.edit((edit) => edit.insert(end, `\n${typed}`));
  const position = new vscode.Position(end.line + 1, typed.length);
  editor.selection = new vscode.Selection(position, position);
  try {
    return await api.provideCompletion(document, position, token, trigger);
  } finally {
    // Leave the workspace file as it was for the next suite.
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
}

describe('inline completions', () => {
  it('completes a TypeScript document with text from the model', async () => {
    const text = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  const d = ');
    assert.equal(typeof text, 'string', 'the provider returned an item');
    assert.ok(text!.trim().length > 0, `the item has visible text: ${JSON.stringify(text)}`);
  });

  it('completes a Python document with text from the model', async () => {
    const text = await completeAfter('src/stats.py', 'm = mean(values)', '    return ');
    assert.equal(typeof text, 'string', 'the provider returned an item');
    assert.ok(text!.trim().length > 0, `the item has visible text: ${JSON.stringify(text)}`);
  });

  it('answers an explicit request at once, while typing waits endless.completion.delayMs', async () => {
    const config = vscode.workspace.getConfiguration('endless');
    await config.update('completion.delayMs', 10_000, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('the new delay', () => vscode.workspace.getConfiguration('endless').get('completion.delayMs') === 10_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      let started = Date.now();
      const invoked = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  const d = ', vscode.InlineCompletionTriggerKind.Invoke);
      const invokedMs = Date.now() - started;
      assert.ok(invoked && invoked.trim().length > 0, `the explicit request was answered: ${JSON.stringify(invoked)}`);
      // Generous: a 10-second pause would miss it by far.
      assert.ok(invokedMs < 8000, `the explicit request did not wait for the pause (${invokedMs} ms)`);

      const typing = new vscode.CancellationTokenSource();
      setTimeout(() => typing.cancel(), 2000);
      started = Date.now();
      const automatic = await completeAfter('src/stats.py', 'm = mean(values)', '    return ', vscode.InlineCompletionTriggerKind.Automatic, typing.token);
      assert.equal(automatic, undefined, 'the automatic request was still pausing when it was cancelled');
      assert.ok(Date.now() - started >= 1900, 'it waited until it was cancelled');
    } finally {
      await config.update('completion.delayMs', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('returns nothing for a request cancelled before it starts', async () => {
    const cancelled = new vscode.CancellationTokenSource();
    cancelled.cancel();
    const text = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  const d = ', vscode.InlineCompletionTriggerKind.Automatic, cancelled.token);
    assert.equal(text, undefined);
    // The same request, not cancelled, gets ghost text: the nothing above came from the cancel.
    const live = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  const d = ');
    assert.equal(typeof live, 'string', 'the provider answers the request when it is not cancelled');
  });
});
