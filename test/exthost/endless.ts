// Shared helpers of the extension-host suites: the running extension's API, and waiting for a
// condition the extension reaches asynchronously (model load, worker restart, stats push).
import * as vscode from 'vscode';
import type { EndlessApi } from '../../src/api';

export const EXTENSION_ID = 'endless.endless';

export async function endlessApi(): Promise<EndlessApi> {
  const extension = vscode.extensions.getExtension<EndlessApi>(EXTENSION_ID);
  if (!extension) throw new Error(`Extension ${EXTENSION_ID} is not installed in this window`);
  const api = await extension.activate();
  await api.whenReady();
  return api;
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A file of the sample workspace (test/workspace) opened the way a user opens it. */
export async function openWorkspaceFile(relative: string): Promise<vscode.TextDocument> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('The tests need the sample workspace (test/workspace) open');
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, relative));
  await vscode.window.showTextDocument(document);
  return document;
}
