// The mirror endpoint setting: validated like every setting, and kept out of untrusted
// workspaces (a cloned repository must not choose where models come from).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateSettings } from '../../../src/config/settings';
import { HUB_DEFAULTS } from '../../../src/models/defaults';

const read = (endpoint: unknown) => validateSettings((key) => (key === 'hub.endpoint' ? endpoint : undefined), () => true);

describe('endless.hub.endpoint', () => {
  it('defaults to the Hugging Face Hub and takes a mirror address', () => {
    assert.equal(read(undefined).settings.hubEndpoint, HUB_DEFAULTS.endpoint);
    assert.equal(read(' https://hf-mirror.example/ ').settings.hubEndpoint, 'https://hf-mirror.example');
    assert.deepEqual(read('http://127.0.0.1:8080').problems, []);
  });

  it('refuses what is not an http(s) address, or carries credentials, naming the setting', () => {
    for (const bad of ['ftp://mirror.example', 'huggingface.co', 'https://user:secret@mirror.example', 42]) {
      const { settings, problems } = read(bad);
      assert.equal(settings.hubEndpoint, HUB_DEFAULTS.endpoint);
      assert.match(problems[0] ?? '', /endless\.hub\.endpoint must be an http:\/\/ or https:\/\/ address/);
    }
  });

  it('is a machine setting, restricted in untrusted workspaces', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    assert.equal(manifest.contributes.configuration.properties['endless.hub.endpoint'].scope, 'machine');
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('endless.hub.endpoint'));
  });
});
