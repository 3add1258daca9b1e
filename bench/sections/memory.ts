// Memory against position (item 4): the RSS of a process running the engine's worker thread
// while its chat stream grows without end, and the K/V bytes the sink cache holds, beside what a
// dense cache would hold at the same position.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ModelDir } from '../../src/engine/modelDir';
import { ROOT } from '../lib/text';

export interface MemoryPoint {
  position: number;
  rssMb: number;
  kvMb: number;
  /** A dense cache at this position (computed: tokens × bytes per token). */
  denseKvMb: number;
}

export interface MemoryResult {
  worker: string;
  rssBeforeLoadMb: number;
  points: MemoryPoint[];
  /** RSS at the last sample ÷ at the first sample after the window filled. */
  growthAfterWindow: number;
}

export function memorySection(o: { model: ModelDir; sinks: number; window: number; chars: number; text: string; log: (l: string) => void }): MemoryResult {
  const a = o.model.arch;
  const kvPerToken = a.layers * 2 * a.kvHeads * a.headDim * 4;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/sections/memoryProbe.ts'), o.model.dir, `${o.sinks}`, `${o.window}`, `${o.chars}`, '2000', o.text, ROOT],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } },
  );
  const lines = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const failed = lines.find((l) => l.error);
  if (failed || child.status !== 0) throw new Error(`memory probe failed: ${failed?.error ?? child.stderr.slice(-500)}`);
  const head = lines[0];
  const mb = (b: number) => b / 2 ** 20;
  const points: MemoryPoint[] = lines
    .filter((l) => l.position !== undefined)
    .map((l) => ({ position: l.position, rssMb: mb(l.rss), kvMb: mb(l.capacity * kvPerToken), denseKvMb: mb(l.position * kvPerToken) }));
  for (const p of points) o.log(`  position ${p.position}: RSS ${p.rssMb.toFixed(0)} MB, K/V ${p.kvMb.toFixed(1)} MB (dense would hold ${p.denseKvMb.toFixed(1)} MB)`);
  const full = points.find((p) => p.position >= o.sinks + o.window) ?? points[0];
  return { worker: head.worker, rssBeforeLoadMb: mb(head.rssBeforeLoad), points, growthAfterWindow: points.at(-1)!.rssMb / full.rssMb };
}
