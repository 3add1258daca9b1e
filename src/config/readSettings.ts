// Reads the `endless.*` settings from VS Code and turns them into the engine configuration.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EngineConfig } from '../engine/protocol';
import { validateSettings, type ValidatedSettings, type Settings } from './settings';

export function readSettings(): ValidatedSettings {
  const config = vscode.workspace.getConfiguration('endless');
  return validateSettings((key) => config.get(key), existsSync);
}

/** The engine part of the settings; a change here needs the worker restarted. */
export function engineConfig(settings: Settings, extensionPath: string): EngineConfig {
  return {
    modelDir: settings.modelDirectory || join(extensionPath, 'models', 'default'),
    sinks: settings.sinkTokens,
    window: settings.windowTokens,
    pinnedSystemPrompt: settings.pinnedSystemPrompt,
    threads: settings.threads,
  };
}

export function sameEngineConfig(a: EngineConfig, b: EngineConfig): boolean {
  return (
    a.modelDir === b.modelDir &&
    a.sinks === b.sinks &&
    a.window === b.window &&
    a.pinnedSystemPrompt === b.pinnedSystemPrompt &&
    a.threads === b.threads
  );
}
