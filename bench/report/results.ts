// The shape of bench/results/latest.json: one run's machine header and each section's results.
import type { MachineInfo } from '../lib/machine';
import type { Bandwidth, StepBytes } from '../sections/ceiling';
import type { CompletionResult } from '../sections/completion';
import type { DecodeResult } from '../sections/decode';
import type { MemoryResult } from '../sections/memory';
import type { PeersResult } from '../sections/peers';
import type { PerplexityResult } from '../sections/perplexity';

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
