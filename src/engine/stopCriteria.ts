// When generation ends: an end-of-sequence token, the token budget, or the wall-clock budget.
// Stop strings are found in the decoded text (textStream.ts).
import type { FinishReason } from './protocol';

export class StopCriteria {
  private readonly eos: Set<number>;
  private readonly deadline: number;

  constructor(
    eos: readonly number[],
    readonly maxTokens: number,
    timeBudgetMs: number,
    startedAt: number,
  ) {
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`maxTokens must be a whole number ≥ 0, got ${maxTokens}`);
    this.eos = new Set(eos);
    this.deadline = timeBudgetMs > 0 ? startedAt + timeBudgetMs : Infinity;
  }

  /** Checked before each forward pass. */
  beforeStep(generated: number): FinishReason | null {
    if (generated >= this.maxTokens) return 'length';
    if (this.pastDeadline()) return 'time';
    return null;
  }

  pastDeadline(): boolean {
    return performance.now() >= this.deadline;
  }

  isEos(token: number): boolean {
    return this.eos.has(token);
  }
}
