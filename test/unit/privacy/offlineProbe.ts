// Child process of offline.test.ts, run under strace. Loads onnxruntime the way one of the
// product's entry points does, then stays alive long enough for the runtime's telemetry to try
// the network (it did so ~9 s after load when switched on).
//   probe.ts client MODEL HOLD_MS   the extension host's path: EngineClient + dist/worker.js
//   probe.ts bare MODEL             onnxruntime loaded with nothing switched off (the control)
import { resolve } from 'node:path';
import type { EngineConfig } from '../../../src/engine/protocol';

async function main(): Promise<void> {
  const [mode, model, hold] = process.argv.slice(2);
  const onnx = resolve(model, 'onnx/model.onnx');
  if (mode === 'bare') {
    const ort = await import('onnxruntime-node');
    await ort.InferenceSession.create(onnx);
    return;
  }
  const { EngineClient } = await import('../../../src/host/engineClient');
  const config: EngineConfig = { modelDir: model, sinks: 4, window: 60, pinnedSystemPrompt: '', threads: 1 };
  const client = new EngineClient(resolve('dist/worker.js'), config);
  client.start();
  await client.whenReady();
  await new Promise((done) => setTimeout(done, Number(hold)));
  await client.dispose();
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
