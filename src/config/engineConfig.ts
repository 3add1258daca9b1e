// The engine part of the settings; a change here needs the engine told.
import { join } from 'node:path';
import type { EngineConfig } from '../engine/protocol';
import type { Settings } from './settings';

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
