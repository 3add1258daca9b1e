// The part of VS Code's CancellationToken the completion logic uses, so that the logic runs
// (and is tested and benchmarked) without `vscode`; a real token satisfies it as it is.

export interface Cancellation {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** Waits `ms`; resolves true if `token` was cancelled meanwhile (at once if it already was). */
export function pause(ms: number, token?: Cancellation): Promise<boolean> {
  if (token?.isCancellationRequested) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      subscription?.dispose();
      resolve(false);
    }, ms);
    const subscription = token?.onCancellationRequested(() => {
      clearTimeout(timer);
      subscription?.dispose();
      resolve(true);
    });
  });
}

/** A token that a caller cancels by hand (the benchmark's stand-in for VS Code's). */
export class CancellationSource {
  private cancelled = false;
  private readonly listeners = new Set<() => void>();

  readonly token: Cancellation;

  constructor() {
    const source = this;
    this.token = {
      get isCancellationRequested() {
        return source.cancelled;
      },
      onCancellationRequested: (listener) => {
        this.listeners.add(listener);
        return { dispose: () => this.listeners.delete(listener) };
      },
    };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }
}
