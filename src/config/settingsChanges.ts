// Applies changes to the engine's settings once they settle: the settings editor fires a change
// per keystroke, and a model reload per keystroke would keep the engine restarting. A change of
// the pinned prompt alone starts the chat stream over; anything else reloads the model.
import type { EngineConfig } from '../engine/protocol';
import { sameEngineConfig } from './engineConfig';

export interface EngineSettingsTarget {
  /** The configuration the engine runs with now. */
  current(): EngineConfig;
  /** Restarts the engine with `config` (model reload). */
  reload(config: EngineConfig): void;
  /** Pins `prompt` in the chat stream; the model stays loaded. */
  repin(prompt: string): void;
}

export class SettingsChanges {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: EngineConfig | undefined;

  constructor(
    private readonly target: EngineSettingsTarget,
    private readonly delayMs = 750,
  ) {}

  /** A new configuration was read; it is applied once none newer arrives for `delayMs`. */
  changed(config: EngineConfig): void {
    this.pending = config;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.apply(), this.delayMs);
  }

  /** Applies a waiting change now (nothing when there is none). */
  apply(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.pending;
    this.pending = undefined;
    if (!next) return;
    const now = this.target.current();
    if (sameEngineConfig(next, now)) return;
    if (sameEngineConfig({ ...next, pinnedSystemPrompt: now.pinnedSystemPrompt }, now)) this.target.repin(next.pinnedSystemPrompt);
    else this.target.reload(next);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pending = undefined;
  }
}
