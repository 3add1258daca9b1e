// What the buttons on a code block in a reply do: copy, insert at the cursor, open as a new file.
import * as vscode from 'vscode';
import type { CodeAction } from '../webview/protocol';

/** Fence names a model writes mapped to VS Code language ids. */
const FENCE_LANGUAGES: Record<string, string> = {
  ts: 'typescript', js: 'javascript', py: 'python', sh: 'shellscript', bash: 'shellscript',
  rs: 'rust', rb: 'ruby', cs: 'csharp', 'c++': 'cpp', md: 'markdown', yml: 'yaml', tsx: 'typescriptreact',
  jsx: 'javascriptreact',
};

export async function runCodeAction(
  action: CodeAction,
  code: string,
  language: string,
  targetEditor: vscode.TextEditor | undefined,
): Promise<void> {
  switch (action) {
    case 'copy':
      await vscode.env.clipboard.writeText(code);
      void vscode.window.setStatusBarMessage('Endless: code copied', 2000);
      return;
    case 'insert': {
      if (!targetEditor || targetEditor.document.isClosed) {
        void vscode.window.showWarningMessage('Endless: open a file and place the cursor where the code should go.');
        return;
      }
      await targetEditor.edit((edit) => {
        for (const selection of targetEditor.selections) edit.replace(selection, code);
      });
      await vscode.window.showTextDocument(targetEditor.document, targetEditor.viewColumn);
      return;
    }
    case 'newFile': {
      const languageId = await knownLanguage(language);
      const document = await vscode.workspace.openTextDocument(languageId ? { content: code, language: languageId } : { content: code });
      await vscode.window.showTextDocument(document);
      return;
    }
  }
}

async function knownLanguage(fence: string): Promise<string | undefined> {
  const name = fence.trim().toLowerCase();
  if (!name) return undefined;
  const id = FENCE_LANGUAGES[name] ?? name;
  return (await vscode.languages.getLanguages()).includes(id) ? id : undefined;
}
