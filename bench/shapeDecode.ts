// Decode speed of whole models side by side, in the product's setting: a sink stream of 4 sinks
// and a 960-token window, already full, one token per step. The models take turns in short
// rounds, so a machine that gets busier or quieter affects them alike. Written to ask whether
// a larger shape fits the decode budget before training one (tools/export/shape_graphs.py
// writes random-weight graphs of any shape, laid out as the bundled model's).
//
//   node --import tsx bench/shapeDecode.ts [--threads 1] [--rounds 6] [--steps 16] DIR...
import { parseArgs } from 'node:util';
import { loadDecoder } from '../src/engine/engine';
import { loadModelDir } from '../src/engine/modelDir';
import { Stream } from '../src/engine/stream';
import { TextTokenizer } from '../src/engine/tokenizer';
import { timeSteps } from './sections/decode';
import { median } from './lib/stats';
import { heldoutIds } from './lib/text';

const SINKS = 4;
const WINDOW = 960;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '6' }, steps: { type: 'string', default: '16' } },
  });
  if (positionals.length === 0) throw new Error('name one or more model folders: node --import tsx bench/shapeDecode.ts DIR...');
  const [threads, rounds, steps] = [values.threads, values.rounds, values.steps].map(Number);
  const models = [];
  for (const dir of positionals) {
    const model = loadModelDir(dir);
    const stream = new Stream(await loadDecoder(model, threads), model.arch, { mode: 'sink', sinks: SINKS, window: WINDOW, prefillChunk: 256 });
    for await (const _ of stream.feed(heldoutIds(new TextTokenizer(model), SINKS + WINDOW)));
    models.push({ dir, stream, ms: [] as number[], cpuMs: 0 });
  }
  for (let round = 0; round < rounds; round++) {
    for (const m of models) {
      const t = await timeSteps(m.stream, steps, true);
      m.ms.push(...t.ms);
      m.cpuMs += t.cpuMs * t.ms.length;
    }
  }
  const base = median(models[0].ms);
  for (const m of models) {
    const ms = median(m.ms);
    console.log(`${m.dir}: ${ms.toFixed(2)} ms/token (×${(ms / base).toFixed(2)}), CPU ${(m.cpuMs / m.ms.length).toFixed(2)} ms/token, ${m.ms.length} steps, ${m.stream.cache.length} cached`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
