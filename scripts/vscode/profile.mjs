// A code-server profile: its own config, user data (settings, workspace state) and extensions,
// all under .cache/, so nothing of the user's own VS Code is read or changed.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE } from '../setup/paths.mjs';

/**
 * Settings for a quiet, deterministic workbench: no trust prompt, no welcome page, no
 * auto-save (tests type into files), no update or telemetry traffic (CI has no internet).
 */
export const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'files.autoSave': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.inlineSuggest.enabled': true,
  'window.commandCenter': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Settings a user changed in an earlier run of the profile; VS Code writes plain JSON. */
function readSettings(file) {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

export function profileDirs(name) {
  const root = path.join(CACHE, 'profiles', name);
  return {
    root,
    config: path.join(root, 'config.yaml'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
  };
}

/**
 * Creates (or with `fresh`, recreates) a profile with the given user settings.
 * `fresh` wipes workspace state too, so a test run never sees a transcript from an earlier run.
 */
export function prepareProfile(name, settings, { fresh = false } = {}) {
  const dirs = profileDirs(name);
  if (fresh) rmSync(dirs.root, { recursive: true, force: true });
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  // auth is also passed on the command line; the file keeps code-server from generating one
  // with a password in the user's home.
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  const file = path.join(dirs.userData, 'User', 'settings.json');
  writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...readSettings(file), ...settings }, null, 2) + '\n');
  return dirs;
}

/** Deletes a profile made for one test run. */
export function removeProfile(dirs) {
  rmSync(dirs.root, { recursive: true, force: true });
}
