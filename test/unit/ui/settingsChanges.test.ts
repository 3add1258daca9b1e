// Settings changes reach the engine once typing in the settings editor pauses, and a change of
// the pinned prompt alone does not reload the model.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettingsChanges } from '../../../src/config/settingsChanges';
import type { EngineConfig } from '../../../src/engine/protocol';

const base: EngineConfig = { modelDir: '/m', sinks: 4, window: 0, pinnedSystemPrompt: 'Be brief.', threads: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function target() {
  let current = base;
  const calls: string[] = [];
  return {
    calls,
    current: () => current,
    reload: (config: EngineConfig) => {
      calls.push(`reload window=${config.window}`);
      current = config;
    },
    repin: (prompt: string) => {
      calls.push(`repin ${prompt}`);
      current = { ...current, pinnedSystemPrompt: prompt };
    },
  };
}

describe('settings changes', () => {
  it('a burst of keystrokes in a setting reloads the model once, with the last value', async () => {
    const t = target();
    const changes = new SettingsChanges(t, 40);
    for (const window of [9, 96, 960, 9600, 960]) {
      changes.changed({ ...base, window });
      await sleep(5);
    }
    assert.deepEqual(t.calls, [], 'nothing is applied while typing');
    await sleep(80);
    assert.deepEqual(t.calls, ['reload window=960']);
    changes.dispose();
  });

  it('a new pinned prompt starts the chat stream over instead of reloading the model', async () => {
    const t = target();
    const changes = new SettingsChanges(t, 20);
    for (const prompt of ['B', 'Be', 'Be t', 'Be terse.']) changes.changed({ ...base, pinnedSystemPrompt: prompt });
    await sleep(60);
    assert.deepEqual(t.calls, ['repin Be terse.']);
    // Back to what runs now: nothing to do.
    changes.changed(t.current());
    await sleep(60);
    assert.deepEqual(t.calls, ['repin Be terse.']);
    changes.dispose();
  });

  it('a prompt change together with another change reloads once', async () => {
    const t = target();
    const changes = new SettingsChanges(t, 10);
    changes.changed({ ...base, pinnedSystemPrompt: 'X', threads: 2 });
    await sleep(40);
    assert.deepEqual(t.calls, ['reload window=0']);
    assert.equal(t.current().pinnedSystemPrompt, 'X');
    changes.dispose();
  });
});
