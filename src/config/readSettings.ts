// Reads the `endless.*` settings from VS Code.
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { validateSettings, type ValidatedSettings } from './settings';

export function readSettings(): ValidatedSettings {
  const config = vscode.workspace.getConfiguration('endless');
  return validateSettings((key) => config.get(key), existsSync);
}
