// Shows the model load as progress: a spinner with a title in the status bar and a progress
// bar over the chat view, from the moment the worker starts until the model is ready (or fails).
import * as vscode from 'vscode';
import type { EngineClient, EngineState } from '../host/engineClient';

export class LoadProgress implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  private finish: (() => void) | undefined;

  constructor(engine: EngineClient, chatViewId: string) {
    this.subscription = engine.onState.on((state) => this.follow(state, chatViewId));
    this.follow(engine.state, chatViewId);
  }

  dispose(): void {
    this.subscription.dispose();
    this.finish?.();
  }

  private follow(state: EngineState, chatViewId: string): void {
    const loading = state.kind === 'starting' || state.kind === 'restarting';
    if (!loading) {
      this.finish?.();
      this.finish = undefined;
      return;
    }
    if (this.finish) return;
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const title = state.kind === 'starting' ? 'Endless: loading the model' : 'Endless: restarting the engine';
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => done);
    void vscode.window.withProgress({ location: { viewId: chatViewId } }, () => done);
  }
}
