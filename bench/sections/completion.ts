// Completion latency (item 5): the recorded editing session replayed in real time through the
// extension's feed scheduler, completion logic and engine worker (bench/completion.ts, run in
// its own process so that its timers see no other section's work).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib/text';

export interface Quantiles {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

export interface CompletionResult {
  session: { events: number; seconds: number };
  requests: { asked: number; cancelled: number; answered: number; withItem: number };
  /** Request → first item, over requests that showed an item. */
  providerMs: Quantiles;
  bySource: Record<'cache' | 'reuse' | 'model' | 'none', Quantiles>;
  prefilledTokens: Quantiles;
  firstTokenMs: Quantiles;
}

export function completionSection(o: { log: (line: string) => void }): CompletionResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/completion.ts'), '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`the completion replay failed: ${child.stderr.slice(-500)}`);
  const result = JSON.parse(child.stdout) as CompletionResult;
  const q = (x: Quantiles) => `p50 ${x.p50.toFixed(0)} ms, p95 ${x.p95.toFixed(0)} ms (${x.n})`;
  o.log(`  ${result.requests.asked} requests, ${result.requests.cancelled} cancelled by typing, ${result.requests.withItem} with an item`);
  o.log(`  provider time, request -> first item: ${q(result.providerMs)}; tokens pre-filled p50 ${result.prefilledTokens.p50}`);
  return result;
}
