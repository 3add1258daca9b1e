// Serves the host<->worker protocol (protocol.ts) over any message channel: requests become
// scheduler jobs, tokens and results go back as they happen, statistics are pushed at most
// ~10 times a second while anything changes. Every request gets exactly one final reply:
// `done` or `error` (`init` gets `ready`). A finished `feed` reports reason `length`.
import { ChatOutOfStepError } from './chatPrompt';
import { Engine, newProgress } from './engine';
import { EngineInputError } from './errors';
import type { FinishReason, HostToWorker, Usage, WorkerToHost } from './protocol';
import { type Job, type JobOutcome, type JobProgress, Scheduler } from './scheduler';

const STATS_INTERVAL_MS = 100;

export class Dispatcher {
  private engine: Engine | null = null;
  private loading: Promise<void> | null = null;
  private readonly scheduler = new Scheduler();
  private lastStatsAt = 0;
  private statsTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly post: (message: WorkerToHost) => void,
    private readonly exit: () => void,
    /** Ends the thread at once (a `crash` request); outside a worker there is nothing to end. */
    private readonly crash: () => void = () => {
      throw new EngineInputError('this engine runs in no worker thread that could crash');
    },
  ) {
    this.scheduler.onStep = () => this.scheduleStats();
  }

  handle(message: HostToWorker): void {
    try {
      this.route(message);
    } catch (err) {
      this.post({ type: 'error', id: message.id, message: describe(err) });
    }
  }

  private route(message: HostToWorker): void {
    switch (message.type) {
      case 'init': {
        // Inits run one after another, so a second one never races the first one's load.
        const previous = this.loading ?? Promise.resolve();
        this.loading = previous.then(() => this.init(message.id, message));
        return;
      }
      case 'cancel':
        this.scheduler.cancel(message.target);
        this.done(message.id, 'stop', newProgress(), performance.now());
        return;
      case 'reset': {
        this.scheduler.cancelAll(message.stream);
        const engine = this.requireEngine();
        if (message.pinnedSystemPrompt !== undefined) {
          for (const notice of engine.setPinnedPrompt(message.pinnedSystemPrompt)) this.post({ type: 'error', id: null, message: notice });
        }
        engine.reset(message.stream);
        this.done(message.id, 'stop', newProgress(), performance.now());
        this.scheduleStats();
        return;
      }
      case 'shutdown':
        // A load in progress gives up at its next step; requests stop before their next pass.
        this.stopping = true;
        this.scheduler.cancelAll();
        void (async () => {
          await this.loading;
          // A second shutdown finds no engine and just answers.
          const engine = this.engine;
          this.engine = null;
          await engine?.dispose();
          this.done(message.id, 'stop', newProgress(), performance.now());
          if (this.statsTimer) clearTimeout(this.statsTimer);
          this.exit();
        })();
        return;
      case 'crash':
        this.crash();
        return;
      case 'chat': {
        const engine = this.requireEngine();
        this.submit(message.id, 'chat', 'chat', (p, emit) => engine.chat(message.turn, message.options, p, emit));
        return;
      }
      case 'feed': {
        const engine = this.requireEngine();
        this.submit(message.id, 'editor', 'feed', (p) => engine.feed(message.context, p));
        return;
      }
      case 'complete': {
        const engine = this.requireEngine();
        this.submit(message.id, 'editor', 'complete', (p, emit) => engine.complete(message.context, message.options, p, emit));
        return;
      }
      default: {
        const unknown: never = message;
        throw new EngineInputError(`unknown request type ${JSON.stringify((unknown as { type?: unknown }).type)}`);
      }
    }
  }

  private async init(id: number, message: Extract<HostToWorker, { type: 'init' }>): Promise<void> {
    try {
      if (this.engine) {
        this.scheduler.cancelAll();
        await this.engine.dispose();
        this.engine = null;
      }
      this.engine = await Engine.load(message.config, () => this.stopping);
      this.post({ type: 'ready', id, model: this.engine.info });
      this.scheduleStats();
    } catch (err) {
      this.post({ type: 'error', id, message: describe(err) });
    }
  }

  private requireEngine(): Engine {
    if (!this.engine) throw new EngineInputError('the engine has no model yet: send init first (or wait for ready)');
    return this.engine;
  }

  private submit(
    id: number,
    stream: Job['stream'],
    kind: Job['kind'],
    body: (progress: JobProgress, emit: (text: string) => void) => AsyncGenerator<void, FinishReason, void>,
  ): void {
    const receivedAt = performance.now();
    const progress = newProgress();
    const emit = (text: string) => this.post({ type: 'token', id, text });
    this.scheduler.submit({
      id,
      stream,
      kind,
      progress,
      steps: body(progress, emit),
      finish: (outcome: JobOutcome | Error) => {
        if (outcome instanceof ChatOutOfStepError) this.post({ type: 'error', id, message: describe(outcome), code: 'chatOutOfStep' });
        else if (outcome instanceof Error) this.post({ type: 'error', id, message: describe(outcome) });
        else this.done(id, outcome.reason, outcome.progress, receivedAt);
      },
    });
  }

  private done(id: number, reason: FinishReason, progress: JobProgress, receivedAt: number): void {
    const now = performance.now();
    const usage: Usage = {
      promptTokens: progress.promptTokens,
      prefilledTokens: progress.prefilledTokens,
      generatedTokens: progress.generatedTokens,
      firstTokenMs: progress.firstTokenAt > 0 ? progress.firstTokenAt - receivedAt : 0,
      totalMs: now - receivedAt,
      ...(progress.clipped ? { clipped: progress.clipped } : {}),
    };
    const chatHeld = progress.chatHeld === undefined ? {} : { chatHeld: progress.chatHeld };
    this.post({ type: 'done', id, reason, text: progress.text, usage, ...chatHeld });
  }

  private scheduleStats(): void {
    if (!this.engine || this.statsTimer) return;
    const wait = Math.max(0, this.lastStatsAt + STATS_INTERVAL_MS - performance.now());
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      this.lastStatsAt = performance.now();
      if (this.engine) this.post({ type: 'stats', stats: this.engine.stats() });
    }, wait);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
