import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { endlessApi, openWorkspaceFile } from './endless';

/**
 * Opens a workspace file, starts a new line after `anchor` with `typed` on it (a statement
 * begun, so that something must follow) and asks for a completion at its end.
 */
async function completeAfter(file: string, anchor: string, typed: string, token?: vscode.CancellationToken): Promise<string | undefined> {
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
    return await api.provideCompletion(document, position, token);
  } finally {
    // Leave the workspace file as it was for the next suite.
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
}

describe('inline completions', () => {
  it('completes a TypeScript document with text from the model', async () => {
    const text = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  return ');
    assert.equal(typeof text, 'string', 'the provider returned an item');
    assert.ok(text!.trim().length > 0, `the item has visible text: ${JSON.stringify(text)}`);
  });

  it('completes a Python document with text from the model', async () => {
    const text = await completeAfter('src/stats.py', 'm = mean(values)', '    return ');
    assert.equal(typeof text, 'string', 'the provider returned an item');
    assert.ok(text!.trim().length > 0, `the item has visible text: ${JSON.stringify(text)}`);
  });

  it('returns nothing for a request cancelled before it starts', async () => {
    const cancelled = new vscode.CancellationTokenSource();
    cancelled.cancel();
    const text = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  x = ', cancelled.token);
    assert.equal(text, undefined);
    // The same request, not cancelled, gets ghost text: the nothing above came from the cancel.
    const live = await completeAfter('src/shapes.ts', 'const dy = a.y - b.y;', '  x = ');
    assert.equal(typeof live, 'string', 'the provider answers the request when it is not cancelled');
  });
});
