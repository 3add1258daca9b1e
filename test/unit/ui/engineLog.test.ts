// Lazy start and the engine's log, against the real worker bundle (dist/worker.js) and a real
// random-weight model: no worker until first use; the log tells the load, the thread choice and
// every eviction.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { freshChat, type EngineConfig } from '../../../src/engine/protocol';
import { EngineClient } from '../../../src/host/engineClient';
import { logEngine } from '../../../src/host/engineLog';

const WORKER = resolve('dist/worker.js');
const config: EngineConfig = { modelDir: resolve('test/fixtures/models/stream-a'), sinks: 4, window: 28, pinnedSystemPrompt: '', threads: 1 };

function recorder() {
  const lines: { level: string; line: string }[] = [];
  const sink = {
    info: (line: string) => lines.push({ level: 'info', line }),
    warn: (line: string) => lines.push({ level: 'warn', line }),
    error: (line: string) => lines.push({ level: 'error', line }),
  };
  return { lines, sink };
}

describe('lazy start and the engine log', () => {
  it('starts no worker until first use, and the first request starts it', async () => {
    assert.ok(existsSync(WORKER), `${WORKER} is missing: run \`npm run build\` first`);
    const client = new EngineClient(WORKER, config);
    try {
      await new Promise((done) => setTimeout(done, 200));
      assert.equal(client.state.kind, 'idle');
      // Settings changes and resets wait for first use too.
      await client.reconfigure({ ...config, window: 24 });
      await client.reset();
      assert.equal(client.state.kind, 'idle');
      const { lines, sink } = recorder();
      logEngine(client, sink);
      const reply = await client.complete(
        { chunks: [], path: 'a.ts', languageId: 'typescript', prefix: 'function f(', suffix: '' },
        { maxTokens: 4, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, stop: [], timeBudgetMs: 0 },
      ).done;
      assert.ok(['eos', 'length', 'stop'].includes(reply.reason), reply.reason);
      assert.equal(client.state.kind, 'ready');
      assert.equal(client.engineConfig.window, 24, 'the worker started with the latest settings');
      const loaded = lines.find((l) => l.line.startsWith('model '));
      assert.ok(loaded, `a load line: ${JSON.stringify(lines)}`);
      assert.match(loaded.line, /loaded in \d+ ms/);
      assert.match(loaded.line, /1 thread for decode, 1 for prefill/);
    } finally {
      await client.dispose();
    }
  });

  it('logs each eviction and a failed load as an error', async () => {
    const client = new EngineClient(WORKER, config);
    const { lines, sink } = recorder();
    logEngine(client, sink);
    try {
      // A reply of up to 80 tokens through a 4 + 28 slot cache evicts as it goes.
      const done = await client.chat(freshChat([{ role: 'user', content: 'hi' }]), { maxTokens: 80, temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, stop: [], timeBudgetMs: 0 }).done;
      assert.ok((done.usage?.generatedTokens ?? 0) > 32, `the reply outgrew the cache: ${JSON.stringify(done.usage)}`);
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.line.startsWith('chat stream: ')) && Date.now() < deadline) await new Promise((d) => setTimeout(d, 50));
      const eviction = lines.find((l) => l.line.startsWith('chat stream: '));
      assert.ok(eviction, `an eviction line: ${JSON.stringify(lines)}`);
      assert.match(eviction.line, /eviction.*tokens evicted.*window \d+\/28/);

      await client.reconfigure({ ...config, modelDir: resolve('test/fixtures/no-such-model') });
      await client.whenReady().catch(() => undefined);
      const failed = lines.find((l) => l.level === 'error');
      assert.ok(failed, `an error line: ${JSON.stringify(lines)}`);
      assert.match(failed.line, /could not be loaded/);
    } finally {
      await client.dispose();
    }
  });
});
