// Our keybindings against VS Code's defaults on every platform. The defaults are kept as data:
// vscode-default-keybindings.json (read from real VS Code by tools/keybindings/dumpDefaults.mjs)
// and vscode-desktop-keybindings.json (the few that only desktop VS Code registers).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

type Platform = 'linux' | 'windows' | 'mac';
interface Binding {
  key: string;
  command: string;
  when?: string;
}
interface DefaultsFile {
  source: string;
  platforms: Record<Platform, Binding[]>;
}
interface Contributed {
  command: string;
  key: string;
  mac?: string;
  linux?: string;
  win?: string;
}

const root = new URL('../../../', import.meta.url);
const readJson = <T>(relative: string): T => JSON.parse(readFileSync(new URL(relative, root), 'utf8')) as T;
const defaults = [
  readJson<DefaultsFile>('test/unit/data/vscode-default-keybindings.json'),
  readJson<DefaultsFile>('test/unit/data/vscode-desktop-keybindings.json'),
];
const ours = readJson<{ contributes: { keybindings: Contributed[] } }>('package.json').contributes.keybindings;
const PLATFORMS: Platform[] = ['linux', 'windows', 'mac'];

/** One chord with its modifiers in a fixed order: `shift+ctrl+I` and `ctrl+shift+i` are one key. */
function normalizeChord(chord: string, platform: Platform): string {
  const parts = chord.toLowerCase().split('+');
  const key = parts.pop() ?? '';
  // On macOS, `cmd` and `meta` name the same key.
  const modifiers = parts.map((part) => (platform === 'mac' && part === 'meta' ? 'cmd' : part)).sort();
  return [...modifiers, key].join('+');
}

function chords(key: string, platform: Platform): string[] {
  return key.trim().split(/\s+/).map((chord) => normalizeChord(chord, platform));
}

function keyOn(binding: Contributed, platform: Platform): string {
  const specific = platform === 'mac' ? binding.mac : platform === 'linux' ? binding.linux : binding.win;
  return specific ?? binding.key;
}

/**
 * Default bindings that `key` would shadow or be shadowed by on `platform`: the same key, or
 * one being the first chord of the other (a chord prefix swallows the single key).
 */
function clashes(key: string, platform: Platform): Binding[] {
  const mine = chords(key, platform);
  return defaults.flatMap((file) =>
    file.platforms[platform].filter((binding) => {
      const theirs = chords(binding.key, platform);
      const shorter = Math.min(mine.length, theirs.length);
      return mine.slice(0, shorter).join(' ') === theirs.slice(0, shorter).join(' ');
    }),
  );
}

describe('keybindings', () => {
  it('the kept defaults are a full list for every platform', () => {
    for (const platform of PLATFORMS) {
      assert.ok(defaults[0].platforms[platform].length > 1000, `${platform}: ${defaults[0].platforms[platform].length} default keybindings`);
    }
  });

  it('finds the clash the old ctrl+alt+i / cmd+alt+i binding had', () => {
    assert.ok(clashes('ctrl+alt+i', 'linux').some((b) => b.command === 'workbench.action.chat.open'));
    assert.ok(clashes('ctrl+alt+i', 'windows').some((b) => b.command === 'workbench.action.chat.open'));
    assert.ok(clashes('cmd+alt+i', 'mac').some((b) => b.command === 'workbench.action.toggleDevTools'));
    // A chord whose first key is a default binding swallows it.
    assert.ok(clashes('ctrl+k ctrl+e', 'linux').length > 0);
  });

  it('no keybinding of ours clashes with a VS Code default on Linux, Windows or macOS', () => {
    assert.ok(ours.length > 0, 'package.json contributes keybindings');
    for (const binding of ours) {
      for (const platform of PLATFORMS) {
        const key = keyOn(binding, platform);
        const found = clashes(key, platform);
        assert.deepEqual(
          found.map((b) => `${b.key} → ${b.command}`),
          [],
          `${binding.command} on ${platform} (${key}) clashes with VS Code's defaults`,
        );
      }
    }
  });
});
