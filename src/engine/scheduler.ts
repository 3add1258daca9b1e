// One worker serves both streams, one forward pass at a time. Jobs on the same stream run in
// order; across streams the next step goes to the stream that has had the least weighted
// time, so a long chat reply never starves a completion (and completions, weighted higher,
// come back quickly). A newer completion supersedes older editor jobs; a newer feed supersedes
// older feeds. A cancel or supersede lands before the job's next step.
import type { FinishReason, StreamId } from './protocol';

export type JobKind = 'chat' | 'feed' | 'complete';

/** What a job has done so far; kept current by its steps so an interrupted job can still report. */
export interface JobProgress {
  text: string;
  promptTokens: number;
  prefilledTokens: number;
  generatedTokens: number;
  /** performance.now() of the first generated token, 0 until then. */
  firstTokenAt: number;
  /** Chat requests: the number of the last message the chat stream holds (null for none). */
  chatHeld?: number | null;
  /** Prompt tokens left out from the front because the window could not use them. */
  clipped?: number;
}

export interface JobOutcome {
  reason: FinishReason;
  progress: JobProgress;
}

export interface Job {
  id: number;
  stream: StreamId;
  kind: JobKind;
  steps: AsyncGenerator<void, FinishReason, void>;
  progress: JobProgress;
  finish(outcome: JobOutcome | Error): void;
}

const WEIGHT: Record<JobKind, number> = { complete: 4, chat: 1, feed: 1 };

interface Lane {
  queue: Job[];
  virtualTime: number;
}

export class Scheduler {
  private readonly lanes = new Map<StreamId, Lane>();
  private readonly interrupted = new Map<Job, FinishReason>();
  private running = false;

  /** Called after every step (for statistics pushes). */
  onStep: () => void = () => {};

  submit(job: Job): void {
    const lane = this.lane(job.stream);
    for (const older of lane.queue) {
      if (job.kind === 'complete' && (older.kind === 'complete' || older.kind === 'feed')) this.interrupt(older, 'superseded');
      if (job.kind === 'feed' && older.kind === 'feed') this.interrupt(older, 'superseded');
    }
    if (lane.queue.length === 0) lane.virtualTime = Math.max(lane.virtualTime, this.minBusyTime());
    lane.queue.push(job);
    void this.run();
  }

  /** Cancels job `id` wherever it is; false if no such job is queued or running. */
  cancel(id: number): boolean {
    for (const lane of this.lanes.values()) {
      const job = lane.queue.find((j) => j.id === id);
      if (job) {
        this.interrupt(job, 'cancelled');
        void this.run();
        return true;
      }
    }
    return false;
  }

  /** Cancels every job (of one stream, or all). */
  cancelAll(stream?: StreamId): void {
    for (const [id, lane] of this.lanes) if (!stream || id === stream) for (const job of lane.queue) this.interrupt(job, 'cancelled');
  }

  get idle(): boolean {
    return [...this.lanes.values()].every((l) => l.queue.length === 0);
  }

  private interrupt(job: Job, reason: FinishReason): void {
    if (!this.interrupted.has(job)) this.interrupted.set(job, reason);
  }

  private lane(stream: StreamId): Lane {
    let lane = this.lanes.get(stream);
    if (!lane) {
      lane = { queue: [], virtualTime: 0 };
      this.lanes.set(stream, lane);
    }
    return lane;
  }

  private minBusyTime(): number {
    let min = Infinity;
    for (const lane of this.lanes.values()) if (lane.queue.length) min = Math.min(min, lane.virtualTime);
    return min === Infinity ? 0 : min;
  }

  private pick(): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of this.lanes.values()) {
      if (lane.queue.length && (!best || lane.virtualTime < best.virtualTime)) best = lane;
    }
    return best;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Requests that arrive together (a burst of keystrokes) are all seen before the first step.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (;;) {
        // Interrupted jobs leave first, without another forward pass.
        for (const lane of this.lanes.values()) {
          for (const job of [...lane.queue]) {
            const reason = this.interrupted.get(job);
            if (reason) await this.end(lane, job, { reason, progress: job.progress }, true);
          }
        }
        const lane = this.pick();
        if (!lane) break;
        const job = lane.queue[0];
        let step: IteratorResult<void, FinishReason>;
        try {
          step = await job.steps.next();
        } catch (err) {
          await this.end(lane, job, err instanceof Error ? err : new Error(String(err)), false);
          continue;
        }
        lane.virtualTime += 1 / WEIGHT[job.kind];
        if (step.done) await this.end(lane, job, { reason: step.value, progress: job.progress }, false);
        this.onStep();
        // Let messages (cancel, newer requests) in before the next forward pass.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  private async end(lane: Lane, job: Job, outcome: JobOutcome | Error, close: boolean): Promise<void> {
    lane.queue.splice(lane.queue.indexOf(job), 1);
    this.interrupted.delete(job);
    if (close) {
      try {
        await job.steps.return('cancelled');
      } catch {
        // A job that fails while being closed has nothing more to report.
      }
    }
    job.finish(outcome);
  }
}
