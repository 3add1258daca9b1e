import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, SETTING_KEYS, type Settings, validateSettings } from '../../../src/config/settings';

interface SchemaProperty {
  type: string;
  default: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  scope?: string;
}

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, SchemaProperty> } };
};
const schema = manifest.contributes.configuration.properties;

const validate = (values: Record<string, unknown>, exists: (path: string) => boolean = () => true) =>
  validateSettings((key) => values[key], exists);

describe('settings validation', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, problems } = validate({});
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(problems, []);
  });

  it('accepts valid values', () => {
    const { settings, problems } = validate({
      sinkTokens: 8,
      windowTokens: 2040,
      'chat.maxTokens': 100,
      'completion.delayMs': 0,
      'completion.enabled': false,
      temperature: 0,
      topP: 1,
      modelDirectory: '/models/mine',
    });
    assert.deepEqual(problems, []);
    assert.equal(settings.sinkTokens, 8);
    assert.equal(settings.windowTokens, 2040);
    assert.equal(settings.chatMaxTokens, 100);
    assert.equal(settings.completionDelayMs, 0);
    assert.equal(settings.completionEnabled, false);
    assert.equal(settings.modelDirectory, '/models/mine');
  });

  it('replaces a value of the wrong type and says which setting and what is used', () => {
    const { settings, problems } = validate({ windowTokens: 'big' });
    assert.equal(settings.windowTokens, DEFAULT_SETTINGS.windowTokens);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /endless\.windowTokens must be a number, not "big"; using 0\./);
  });

  it('rejects fractions where a whole number is needed, and out-of-range values', () => {
    const { settings, problems } = validate({ sinkTokens: 2.5, threads: -1, topP: 0, temperature: 7 });
    assert.equal(settings.sinkTokens, DEFAULT_SETTINGS.sinkTokens);
    assert.equal(settings.threads, DEFAULT_SETTINGS.threads);
    assert.equal(settings.topP, DEFAULT_SETTINGS.topP);
    assert.equal(settings.temperature, DEFAULT_SETTINGS.temperature);
    assert.equal(problems.length, 4);
    assert.ok(problems.some((problem) => /endless\.sinkTokens must be a whole number, not 2\.5/.test(problem)));
    assert.ok(problems.some((problem) => /endless\.topP must be above 0 and at most 1, not 0/.test(problem)));
    assert.ok(problems.some((problem) => /endless\.temperature must be at least 0 and at most 2, not 7/.test(problem)));
  });

  it('needs a window larger than the sinks', () => {
    const { settings, problems } = validate({ sinkTokens: 64, windowTokens: 32 });
    assert.equal(settings.sinkTokens, DEFAULT_SETTINGS.sinkTokens);
    assert.equal(settings.windowTokens, DEFAULT_SETTINGS.windowTokens);
    assert.match(problems[0], /endless\.windowTokens \(32\) must be larger than endless\.sinkTokens \(64\)/);
  });

  it('falls back to the bundled model for a relative or missing model directory', () => {
    const relative = validate({ modelDirectory: 'models/x' });
    assert.equal(relative.settings.modelDirectory, '');
    assert.match(relative.problems[0], /must be an absolute path, not "models\/x"; using the bundled model/);

    const missing = validate({ modelDirectory: '/nowhere/model' }, () => false);
    assert.equal(missing.settings.modelDirectory, '');
    assert.match(missing.problems[0], /"\/nowhere\/model" does not exist; using the bundled model/);
  });

  it('rejects a non-boolean switch and a non-text prompt', () => {
    const { settings, problems } = validate({ 'completion.enabled': 'yes', pinnedSystemPrompt: 42 });
    assert.equal(settings.completionEnabled, true);
    assert.equal(settings.pinnedSystemPrompt, DEFAULT_SETTINGS.pinnedSystemPrompt);
    assert.equal(problems.length, 2);
  });

  it('accepts exactly what the settings schema in package.json allows, with the same defaults', () => {
    for (const key of Object.keys(SETTING_KEYS) as (keyof Settings)[]) {
      const name = `endless.${SETTING_KEYS[key]}`;
      const property = schema[name];
      assert.ok(property, `${name} is declared in package.json`);
      assert.deepEqual(property.default, DEFAULT_SETTINGS[key], `${name}: one default in schema and validator`);
      if (property.type !== 'number' && property.type !== 'integer') continue;
      const accepts = (value: number) => validate({ [SETTING_KEYS[key]]: value }).problems.length === 0;
      const low = property.minimum ?? property.exclusiveMinimum;
      assert.ok(low !== undefined && property.maximum !== undefined, `${name} has bounds`);
      assert.equal(accepts(low), property.exclusiveMinimum === undefined, `${name} at its lower bound ${low}`);
      assert.equal(accepts(low - 1), false, `${name} below its lower bound`);
      assert.equal(accepts(property.maximum), true, `${name} at its maximum`);
      assert.equal(accepts(property.maximum + 1), false, `${name} above its maximum`);
      if (property.type === 'integer') assert.equal(accepts(property.maximum - 0.5), false, `${name} takes whole numbers only`);
      else assert.equal(accepts((low + property.maximum) / 2), true, `${name} takes fractions`);
    }
  });

  it('keeps machine-specific settings out of workspaces, and restricts file-loading settings in untrusted ones', () => {
    assert.equal(schema['endless.modelDirectory'].scope, 'machine');
    assert.equal(schema['endless.threads'].scope, 'machine');
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.ok(untrusted.restrictedConfigurations.includes('endless.modelDirectory'));
    assert.ok(untrusted.restrictedConfigurations.includes('endless.pinnedSystemPrompt'));
  });
});

describe('defaults', () => {
  it('package.json declares the defaults of src/engine/defaults.ts, read through the settings', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default: unknown }> } };
    };
    const declared = manifest.contributes.configuration.properties;
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof typeof DEFAULT_SETTINGS)[]) {
      const name = `endless.${SETTING_KEYS[key]}`;
      assert.ok(name in declared, `${name} is declared`);
      assert.deepEqual(declared[name].default, DEFAULT_SETTINGS[key], `${name} default`);
    }
  });
});
