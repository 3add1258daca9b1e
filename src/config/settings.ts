// Settings validation, kept free of `vscode` so it can be unit-tested: every value read from
// the user's configuration is checked here, and a bad one is replaced by a safe fallback with
// a message that names the setting, what was wrong and what is used instead.
import { MIN_WINDOW } from '../engine/cacheShape';
import { CACHE_DEFAULTS, CHAT_GENERATION, COMPLETION_GENERATION } from '../engine/defaults';
import type { GenerateOptions } from '../engine/protocol';
import { HUB_DEFAULTS } from '../models/defaults';

export interface Settings {
  /** Absolute model directory; empty means the bundled model. */
  modelDirectory: string;
  sinkTokens: number;
  /** 0: derived from the model's trained positions, the sinks and the pinned prompt. */
  windowTokens: number;
  pinnedSystemPrompt: string;
  threads: number;
  temperature: number;
  topP: number;
  chatMaxTokens: number;
  completionMaxTokens: number;
  completionDelayMs: number;
  completionEnabled: boolean;
  /** Most megabytes the chat log and its archive take on disk. */
  chatStorageCapMb: number;
  /** Where models are downloaded from: the Hugging Face Hub or a mirror of it. */
  hubEndpoint: string;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  modelDirectory: '',
  sinkTokens: CACHE_DEFAULTS.sinks,
  windowTokens: 0,
  pinnedSystemPrompt: CACHE_DEFAULTS.pinnedSystemPrompt,
  threads: CACHE_DEFAULTS.threads,
  temperature: CHAT_GENERATION.temperature,
  topP: CHAT_GENERATION.topP,
  chatMaxTokens: CHAT_GENERATION.maxTokens,
  completionMaxTokens: COMPLETION_GENERATION.maxTokens,
  completionDelayMs: 150,
  completionEnabled: true,
  chatStorageCapMb: 50,
  hubEndpoint: HUB_DEFAULTS.endpoint,
};

/** The window the host plans with: the setting, or the engine's default when it is derived. */
export function plannedWindow(settings: Settings): number {
  return settings.windowTokens > 0 ? settings.windowTokens : CACHE_DEFAULTS.window;
}

/** Setting keys relative to the `endless` section, as they appear in package.json. */
export const SETTING_KEYS: Readonly<Record<keyof Settings, string>> = {
  modelDirectory: 'modelDirectory',
  sinkTokens: 'sinkTokens',
  windowTokens: 'windowTokens',
  pinnedSystemPrompt: 'pinnedSystemPrompt',
  threads: 'threads',
  temperature: 'temperature',
  topP: 'topP',
  chatMaxTokens: 'chat.maxTokens',
  completionMaxTokens: 'completion.maxTokens',
  completionDelayMs: 'completion.delayMs',
  completionEnabled: 'completion.enabled',
  chatStorageCapMb: 'chat.storageCapMB',
  hubEndpoint: 'hub.endpoint',
};

interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
  /** True when `min` itself is not allowed (e.g. top-p must be above 0). */
  minExclusive?: boolean;
}

const NUMBER_RULES: Partial<Record<keyof Settings, NumberRule>> = {
  sinkTokens: { min: 0, max: 256, integer: true },
  windowTokens: { min: 0, max: 131072, integer: true },
  threads: { min: 0, max: 256, integer: true },
  temperature: { min: 0, max: 2, integer: false },
  topP: { min: 0, max: 1, integer: false, minExclusive: true },
  chatMaxTokens: { min: 1, max: 8192, integer: true },
  completionMaxTokens: { min: 1, max: 1024, integer: true },
  completionDelayMs: { min: 0, max: 10000, integer: true },
  chatStorageCapMb: { min: 1, max: 100000, integer: false },
};

export interface ValidatedSettings {
  settings: Settings;
  /** One sentence per rejected value; empty when everything was valid. */
  problems: string[];
}

/**
 * Validates raw configuration values. `read(key)` returns the value stored under
 * `endless.<key>` (undefined when unset). `pathExists` checks a model directory; pass a
 * function that always returns true to skip the file-system check.
 */
export function validateSettings(
  read: (key: string) => unknown,
  pathExists: (path: string) => boolean,
): ValidatedSettings {
  const problems: string[] = [];
  const settings: Settings = { ...DEFAULT_SETTINGS };
  const name = (key: keyof Settings) => `endless.${SETTING_KEYS[key]}`;

  for (const key of Object.keys(NUMBER_RULES) as (keyof Settings)[]) {
    const rule = NUMBER_RULES[key]!;
    const value = read(SETTING_KEYS[key]);
    if (value === undefined || value === null) continue;
    const problem = checkNumber(value, rule);
    if (problem) {
      problems.push(`${name(key)} ${problem}; using ${String(DEFAULT_SETTINGS[key])}.`);
    } else {
      (settings[key] as number) = value as number;
    }
  }

  const enabled = read(SETTING_KEYS.completionEnabled);
  if (enabled !== undefined && enabled !== null) {
    if (typeof enabled === 'boolean') settings.completionEnabled = enabled;
    else problems.push(`${name('completionEnabled')} must be true or false, not ${show(enabled)}; using true.`);
  }

  const prompt = read(SETTING_KEYS.pinnedSystemPrompt);
  if (prompt !== undefined && prompt !== null) {
    if (typeof prompt === 'string') settings.pinnedSystemPrompt = prompt;
    else problems.push(`${name('pinnedSystemPrompt')} must be text, not ${show(prompt)}; using the default prompt.`);
  }

  if (settings.windowTokens > 0 && settings.windowTokens < MIN_WINDOW) {
    problems.push(`endless.windowTokens must be 0 (derived from the model) or at least ${MIN_WINDOW}, not ${settings.windowTokens}; using 0.`);
    settings.windowTokens = 0;
  }
  if (settings.windowTokens > 0 && settings.windowTokens <= settings.sinkTokens) {
    problems.push(
      `endless.windowTokens (${settings.windowTokens}) must be larger than endless.sinkTokens ` +
        `(${settings.sinkTokens}); using ${DEFAULT_SETTINGS.sinkTokens} sinks and a window derived from the model.`,
    );
    settings.windowTokens = DEFAULT_SETTINGS.windowTokens;
    settings.sinkTokens = DEFAULT_SETTINGS.sinkTokens;
  }

  const dir = read(SETTING_KEYS.modelDirectory);
  if (dir !== undefined && dir !== null && dir !== '') {
    if (typeof dir !== 'string') {
      problems.push(`${name('modelDirectory')} must be a path, not ${show(dir)}; using the bundled model.`);
    } else if (!isAbsolute(dir.trim())) {
      problems.push(
        `${name('modelDirectory')} must be an absolute path, not "${dir}"; using the bundled model.`,
      );
    } else if (!pathExists(dir.trim())) {
      problems.push(`${name('modelDirectory')}: "${dir}" does not exist; using the bundled model.`);
    } else {
      settings.modelDirectory = dir.trim();
    }
  }

  const endpoint = read(SETTING_KEYS.hubEndpoint);
  if (endpoint !== undefined && endpoint !== null && endpoint !== '') {
    if (typeof endpoint === 'string' && isHttpUrl(endpoint.trim())) settings.hubEndpoint = endpoint.trim().replace(/\/+$/, '');
    else problems.push(`${name('hubEndpoint')} must be an http:// or https:// address, not ${show(endpoint)}; using ${DEFAULT_SETTINGS.hubEndpoint}.`);
  }

  return { settings, problems };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}

function checkNumber(value: unknown, rule: NumberRule): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, not ${show(value)}`;
  if (rule.integer && !Number.isInteger(value)) return `must be a whole number, not ${value}`;
  const low = rule.minExclusive ? value <= rule.min : value < rule.min;
  if (low || value > rule.max) {
    const lowText = rule.minExclusive ? `above ${rule.min}` : `at least ${rule.min}`;
    return `must be ${lowText} and at most ${rule.max}, not ${value}`;
  }
  return undefined;
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

/** Generation options of a chat reply. */
export function chatOptions(settings: Settings): GenerateOptions {
  return { ...CHAT_GENERATION, maxTokens: settings.chatMaxTokens, temperature: settings.temperature, topP: settings.topP };
}

/** Completions are greedy (the most likely continuation, the same every time) and bounded in time. */
export function completionOptions(settings: Settings): GenerateOptions {
  return { ...COMPLETION_GENERATION, maxTokens: settings.completionMaxTokens };
}
