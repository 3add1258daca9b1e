// The status bar readout: the cache at a glance, loading and error states, both streams in
// the tooltip; a click opens the chat panel.
import * as vscode from 'vscode';
import type { EngineStats, StreamId } from '../engine/protocol';
import type { EngineClient, EngineState } from '../host/engineClient';
import { statusText, streamSummary } from './format';

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];
  /** The stream that streamed most recently; its speed is shown. */
  private active: StreamId = 'chat';
  private lastTotals: Record<StreamId, number> = { chat: 0, editor: 0 };

  constructor(private readonly engine: EngineClient, openCommand: string) {
    this.item = vscode.window.createStatusBarItem('endless.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Endless';
    this.item.command = openCommand;
    this.subscriptions = [
      engine.onState.on((state) => this.render(state)),
      engine.onStats.on((stats) => this.update(stats)),
    ];
    this.render(engine.state);
    this.item.show();
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }

  private update(stats: EngineStats): void {
    for (const id of ['chat', 'editor'] as const) {
      if (stats.streams[id].totalTokens !== this.lastTotals[id]) this.active = id;
      this.lastTotals[id] = stats.streams[id].totalTokens;
    }
    if (this.engine.state.kind === 'ready') this.render(this.engine.state);
  }

  private render(state: EngineState): void {
    this.item.backgroundColor = undefined;
    switch (state.kind) {
      case 'idle':
        this.item.text = 'Endless $(circle-large-outline) idle';
        this.item.tooltip = 'Endless loads its model on first use: open the chat or type in a code file.';
        return;
      case 'starting':
        this.item.text = 'Endless $(sync~spin) loading model';
        this.item.tooltip = 'Endless is loading its model.';
        return;
      case 'restarting':
        this.item.text = 'Endless $(sync~spin) restarting';
        this.item.tooltip = `Endless is restarting its engine: ${state.reason}`;
        return;
      case 'failed':
        this.item.text = 'Endless $(error) model not loaded';
        this.item.tooltip = `Endless could not load its model: ${state.message}`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
      case 'stopped':
        this.item.text = 'Endless $(circle-slash) stopped';
        this.item.tooltip = 'The Endless engine is not running.';
        return;
      case 'ready': {
        const stats = this.engine.stats;
        if (!stats) {
          this.item.text = `Endless $(check) ${state.model.name}`;
          this.item.tooltip = `Endless: ${state.model.name} loaded.`;
          return;
        }
        this.item.text = statusText(stats, stats.streams[this.active]);
        const tooltip = new vscode.MarkdownString(
          [`**Endless** — ${stats.model}`, '', `- ${streamSummary(stats.streams.chat)}`, `- ${streamSummary(stats.streams.editor)}`, '', 'Click to open the chat panel.'].join('\n'),
        );
        this.item.tooltip = tooltip;
        return;
      }
    }
  }
}
