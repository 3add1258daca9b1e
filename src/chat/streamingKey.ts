// The `endless.streaming` context key: true while a chat reply is being written. The manifest
// enables Stop and shows it in the view's title only then.
import * as vscode from 'vscode';
import type { ChatSession } from './chatSession';

export const STREAMING_KEY = 'endless.streaming';

export class StreamingKey implements vscode.Disposable {
  private current = false;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly session: ChatSession) {
    // The session announces every change of its busy state with a transcript event.
    this.subscription = session.onEvent.on((event) => {
      if (event.type === 'transcript') this.update();
    });
    void vscode.commands.executeCommand('setContext', STREAMING_KEY, false);
  }

  /** The value last given to VS Code. */
  get value(): boolean {
    return this.current;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private update(): void {
    const busy = this.session.busy;
    if (busy === this.current) return;
    this.current = busy;
    void vscode.commands.executeCommand('setContext', STREAMING_KEY, busy);
  }
}
