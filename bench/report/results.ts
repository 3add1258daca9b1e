// The shape of bench/results/latest.json: one run's machine header and each section's results.
import type { MachineInfo } from '../lib/machine';
import type { Bandwidth, StepBytes } from '../sections/ceiling';
import type { CompletionResult } from '../sections/completion';
import type { DecodeResult } from '../sections/decode';
import type { MemoryResult } from '../sections/memory';
import type { PeersResult } from '../sections/peers';
import type { PerplexityResult } from '../sections/perplexity';

/** The report's sections, in the order they run. */
export const BENCH_SECTIONS = ['ceiling', 'decode', 'peers', 'perplexity', 'memory', 'completion'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** When, at which commit and how thoroughly a section was last measured. */
export interface SectionRun {
  date: string;
  commit: string;
  quick: boolean;
}

export interface BenchResults {
  machine: MachineInfo;
  quick: boolean;
  /** onnxruntime / llama.cpp intra-op threads used by every engine in the run. */
  threads: number;
  sinks: number;
  window: number;
  ceiling?: { bandwidth: Bandwidth; streaming: StepBytes; standard: StepBytes };
  decode?: DecodeResult;
  peers?: PeersResult;
  perplexity?: PerplexityResult;
  memory?: MemoryResult;
  completion?: CompletionResult;
  /** Section name → error text, for sections that failed in the last run. */
  errors: Record<string, string>;
  /** Section name → seconds it took. */
  seconds?: Record<string, number>;
  /** Section name → the run that measured it (`--only` keeps the other sections' last results). */
  sectionRuns?: Record<string, SectionRun>;
}

/** The runs behind the sections an `--only` run keeps; results from before runs were recorded per section carry their run's header. */
export function earlierRuns(previous: Partial<BenchResults>): Record<string, SectionRun> {
  if (!previous.machine) return {};
  const header = { date: previous.machine.date, commit: previous.machine.commit, quick: previous.quick ?? false };
  const kept = BENCH_SECTIONS.filter((name) => previous[name] !== undefined);
  return Object.fromEntries(kept.map((name) => [name, previous.sectionRuns?.[name] ?? header]));
}
