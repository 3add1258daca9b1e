// Runs the engine in a node:worker_threads Worker and speaks the typed protocol of
// src/engine/protocol.ts with it. Inference is a synchronous native call, so it must never run
// on the extension host's own thread. If the worker dies, every open request fails with a clear
// message and a fresh worker is started with backoff, replaying the last `init`.
// This file must not import `vscode`: scripts and tests drive it directly.
import { Worker } from 'node:worker_threads';
// Sets the runtime's telemetry switch in this (main) thread's environment, which the worker inherits.
import '../engine/runtimeOffline';
import type {
  ChatTurn,
  EditorContext,
  EngineConfig,
  EngineStats,
  FinishReason,
  GenerateOptions,
  HostToWorker,
  ModelInfo,
  StreamId,
  Usage,
  WorkerToHost,
} from '../engine/protocol';
import { Listeners } from './listeners';

export type EngineState =
  /** No worker yet: it starts on first use (a chat, a completion, the panel opened). */
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'ready'; model: ModelInfo }
  /** The model could not be loaded with this configuration; waits for a new one. */
  | { kind: 'failed'; message: string }
  /** The worker died; a new one starts after `delayMs`. */
  | { kind: 'restarting'; reason: string; delayMs: number }
  | { kind: 'stopped' };

export interface Finished {
  reason: FinishReason;
  text: string;
  usage?: Usage;
  /** Chat requests: the number of the last message the worker's chat stream holds. */
  chatHeld?: number | null;
}

/** An error the worker reported for a request; `code` says when the host can recover by itself. */
export class EngineRequestError extends Error {
  constructor(
    message: string,
    readonly code?: 'chatOutOfStep',
  ) {
    super(message);
  }
}

/** A running chat reply or completion. */
export interface Generation {
  /** Resolves when the request ends for any reason; rejects on an engine error or crash. */
  readonly done: Promise<Finished>;
  /** Asks the worker to stop before its next step; `done` then resolves with `cancelled`. */
  cancel(): void;
}

export interface EngineClientOptions {
  /** Receives diagnostic lines (worker start, exits, restarts). */
  log?: (line: string) => void;
  /** First restart delay; doubles per consecutive crash. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A worker that ran this long resets the backoff. */
  stableAfterMs?: number;
}

interface Pending {
  onToken?: (text: string) => void;
  resolve: (finished: Finished) => void;
  reject: (error: Error) => void;
}

type RequestBody = HostToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export class EngineClient {
  readonly onState = new Listeners<EngineState>();
  readonly onStats = new Listeners<EngineStats>();

  private worker: Worker | undefined;
  private currentState: EngineState = { kind: 'idle' };
  private lastStats: EngineStats | undefined;
  private nextId = 1;
  private initId = 0;
  private readonly pending = new Map<number, Pending>();
  private restarts = 0;
  private consecutiveCrashes = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private latestFeed: number | undefined;
  private disposed = false;
  private reconfigurations = 0;

  constructor(
    private readonly workerPath: string,
    private config: EngineConfig,
    private readonly options: EngineClientOptions = {},
  ) {}

  get state(): EngineState {
    return this.currentState;
  }

  get stats(): EngineStats | undefined {
    return this.lastStats;
  }

  get restartCount(): number {
    return this.restarts;
  }

  get engineConfig(): EngineConfig {
    return this.config;
  }

  start(): void {
    if (this.disposed) throw new Error('The engine client was disposed.');
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.spawn();
  }

  /** Starts the worker if nothing has used the engine yet; otherwise does nothing. */
  ensureStarted(): void {
    if (this.currentState.kind === 'idle' && !this.disposed) this.start();
  }

  /**
   * Resolves with the model once the worker is ready; rejects if the model fails to load.
   * Waiting for the engine is using it: an idle engine starts.
   */
  whenReady(): Promise<ModelInfo> {
    this.ensureStarted();
    const now = this.currentState;
    if (now.kind === 'ready') return Promise.resolve(now.model);
    if (now.kind === 'failed') return Promise.reject(new Error(now.message));
    if (this.disposed) return Promise.reject(new Error('The engine was shut down.'));
    return new Promise((resolve, reject) => {
      const sub = this.onState.on((state) => {
        if (state.kind === 'ready') {
          sub.dispose();
          resolve(state.model);
        } else if (state.kind === 'failed') {
          sub.dispose();
          reject(new Error(state.message));
        } else if (state.kind === 'stopped') {
          sub.dispose();
          reject(new Error('The engine was stopped.'));
        }
      });
    });
  }

  /** A chat turn: the messages new since the worker's last acknowledged one (see ChatTurn). */
  chat(turn: ChatTurn, options: GenerateOptions, onToken?: (text: string) => void): Generation {
    return this.generate({ type: 'chat', turn, options }, onToken);
  }

  complete(context: EditorContext, options: GenerateOptions, onToken?: (text: string) => void): Generation {
    return this.generate({ type: 'complete', context, options }, onToken);
  }

  /**
   * Pre-fills the editor stream. Only sent while the worker is ready (a feed is a hint, never
   * worth waiting for); a newer feed makes the client stop tracking the older one.
   */
  feed(context: EditorContext): void {
    if (this.currentState.kind !== 'ready') return;
    if (this.latestFeed !== undefined) this.settle(this.latestFeed, { reason: 'superseded', text: '' });
    const id = this.post({ type: 'feed', context }, {
      resolve: () => undefined,
      reject: (error) => this.options.log?.(`feed failed: ${error.message}`),
    });
    this.latestFeed = id;
  }

  /**
   * Drops a stream's cache (or both), and with `pinnedSystemPrompt` pins another prompt in the
   * chat stream. A ready worker gets the request at once, so it is ordered before any request
   * made after this call; a worker that is starting gets it once it is ready. Resolves once
   * the worker has done it.
   */
  async reset(stream?: StreamId, pinnedSystemPrompt?: string): Promise<void> {
    if (pinnedSystemPrompt !== undefined) this.config = { ...this.config, pinnedSystemPrompt };
    // An engine that never started has no cache to drop; it starts with the configuration above.
    if (this.currentState.kind === 'idle') return;
    const body: RequestBody = { type: 'reset', ...(stream ? { stream } : {}), ...(pinnedSystemPrompt !== undefined ? { pinnedSystemPrompt } : {}) };
    const send = () => new Promise<Finished>((resolve, reject) => void this.post(body, { resolve, reject }));
    if (this.currentState.kind === 'ready' && this.worker) {
      await send();
      return;
    }
    await this.whenReady();
    await send();
  }

  /** Restarts the worker with a new configuration (a new model, cache size, …). */
  async reconfigure(config: EngineConfig): Promise<void> {
    this.config = config;
    // Not started yet: the first use starts it with this configuration.
    if (this.currentState.kind === 'idle') return;
    const turn = ++this.reconfigurations;
    this.setState({ kind: 'starting' });
    await this.stopWorker('The engine is restarting with new settings.');
    // A newer configuration arrived while this one waited: that call starts the worker.
    if (this.disposed || turn !== this.reconfigurations) return;
    this.consecutiveCrashes = 0;
    this.start();
  }

  /**
   * Makes the worker crash with whatever is in flight, so recovery can be tested for real: the
   * worker exits between two forward steps (terminating it from here inside a native
   * onnxruntime call would abort the whole process, which no test should risk in the user's
   * extension host). What was in flight fails; the worker restarts.
   */
  crashForTesting(): void {
    if (!this.worker) return;
    this.post({ type: 'crash' });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.restartTimer);
    // Stopped before the worker goes, so requests waiting for a ready engine end now.
    this.setState({ kind: 'stopped' });
    await this.stopWorker('The engine was shut down.');
    this.onState.clear();
    this.onStats.clear();
  }

  private generate(body: Extract<RequestBody, { type: 'chat' | 'complete' }>, onToken?: (text: string) => void): Generation {
    let id: number | undefined;
    let cancelled = false;
    let settleEarly: ((finished: Finished) => void) | undefined;
    const done = new Promise<Finished>((resolve, reject) => {
      settleEarly = resolve;
      // Waits while the worker is starting or restarting; a disposed client rejects.
      this.whenReady().then(() => {
        if (cancelled) return resolve({ reason: 'cancelled', text: '' });
        id = this.post(body, { onToken, resolve, reject });
      }, reject);
    });
    return {
      done,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        if (id === undefined) settleEarly?.({ reason: 'cancelled', text: '' });
        else if (this.pending.has(id)) this.post({ type: 'cancel', target: id });
      },
    };
  }

  private post(body: RequestBody, pending?: Pending): number {
    const id = this.nextId++;
    if (pending) this.pending.set(id, pending);
    const worker = this.worker;
    if (!worker) {
      this.settleError(id, new Error('The engine is not running.'));
      return id;
    }
    worker.postMessage({ ...body, id } as HostToWorker);
    return id;
  }

  private spawn(): void {
    // Statistics of a worker that is gone describe caches that are gone.
    this.lastStats = undefined;
    this.setState({ kind: 'starting' });
    const worker = new Worker(this.workerPath);
    this.worker = worker;
    this.startedAt = Date.now();
    this.options.log?.(`starting engine worker (${this.config.modelDir})`);
    worker.on('message', (message: WorkerToHost) => {
      if (this.worker === worker) this.receive(message);
    });
    worker.on('error', (error) => {
      if (this.worker === worker) this.options.log?.(`engine worker error: ${error.stack ?? error.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      // A worker that reported a failed model load is not restarted: the same settings would
      // fail again. A new configuration starts a new worker.
      if (this.currentState.kind === 'failed') this.worker = undefined;
      else this.crashed(`the engine worker exited with code ${code}`);
    });
    this.initId = this.post({ type: 'init', config: this.config });
  }

  private receive(message: WorkerToHost): void {
    switch (message.type) {
      case 'ready':
        if (message.id === this.initId) {
          this.options.log?.(`model ready: ${message.model.name} (${message.model.interface})`);
          this.setState({ kind: 'ready', model: message.model });
        }
        return;
      case 'token':
        this.pending.get(message.id)?.onToken?.(message.text);
        return;
      case 'done':
        this.settle(message.id, { reason: message.reason, text: message.text, usage: message.usage, chatHeld: message.chatHeld });
        return;
      case 'error':
        if (message.id === this.initId && this.currentState.kind === 'starting') {
          this.options.log?.(`model failed to load: ${message.message}`);
          this.setState({ kind: 'failed', message: message.message });
        } else if (message.id === null) {
          this.options.log?.(`engine error: ${message.message}`);
        } else {
          this.settleError(message.id, new EngineRequestError(message.message, message.code));
        }
        return;
      case 'stats':
        this.lastStats = message.stats;
        this.onStats.fire(message.stats);
        return;
    }
  }

  private settle(id: number, finished: Finished): void {
    this.take(id)?.resolve(finished);
  }

  private settleError(id: number, error: Error): void {
    this.take(id)?.reject(error);
  }

  /** Removes request `id` from those awaiting an answer and returns it, if it was still open. */
  private take(id: number) {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    if (this.latestFeed === id) this.latestFeed = undefined;
    return pending;
  }

  private crashed(reason: string): void {
    this.worker = undefined;
    this.failAll(new Error(`The engine stopped unexpectedly (${reason}); it is restarting.`));
    if (this.disposed) return;
    if (Date.now() - this.startedAt > (this.options.stableAfterMs ?? 30_000)) this.consecutiveCrashes = 0;
    const base = this.options.restartDelayMs ?? 250;
    const delayMs = Math.min(base * 2 ** this.consecutiveCrashes, this.options.maxRestartDelayMs ?? 10_000);
    this.consecutiveCrashes++;
    this.restarts++;
    this.options.log?.(`${reason}; restarting in ${delayMs} ms`);
    this.setState({ kind: 'restarting', reason, delayMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.disposed) this.spawn();
    }, delayMs);
  }

  /**
   * Stops the worker and waits for it to exit. It is asked to shut down (the engine stops
   * between steps and releases its sessions) and never terminated: terminating a worker inside
   * a native onnxruntime call aborts the whole process. One that does not exit in time (a long
   * native call) is let go: it no longer keeps the process alive and exits once the call returns.
   */
  private async stopWorker(reason: string, graceMs = 5000): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.failAll(new Error(reason));
    if (!worker) return;
    const exited = new Promise<boolean>((resolve) => worker.once('exit', () => resolve(true)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    worker.postMessage({ type: 'shutdown', id: this.nextId++ } satisfies HostToWorker);
    const clean = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (!clean) {
      this.options.log?.(`the engine worker is still inside a native call after ${graceMs} ms; it exits once the call returns`);
      worker.unref();
    }
  }

  private failAll(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.latestFeed = undefined;
    for (const pending of all) pending.reject(error);
  }

  private setState(state: EngineState): void {
    this.currentState = state;
    this.onState.fire(state);
  }
}
