// A minimal typed event source, so host code that must also run outside VS Code (scripts,
// unit tests) does not depend on vscode.EventEmitter.

export interface Subscription {
  dispose(): void;
}

export class Listeners<T> {
  private readonly handlers = new Set<(value: T) => void>();

  on(handler: (value: T) => void): Subscription {
    this.handlers.add(handler);
    return { dispose: () => this.handlers.delete(handler) };
  }

  fire(value: T): void {
    for (const handler of [...this.handlers]) handler(value);
  }

  clear(): void {
    this.handlers.clear();
  }
}
