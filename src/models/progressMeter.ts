// Transfer speed over a sliding window of recent seconds, and the words a progress
// notification shows: "312 MB of 862 MB · 12.4 MB/s · 44 s left". No `vscode` here.
import { HUB_DEFAULTS } from './defaults';

export class SpeedMeter {
  /** [time in ms, bytes received at that moment], oldest first. */
  private readonly samples: [number, number][] = [];
  private total = 0;

  constructor(private readonly windowMs = HUB_DEFAULTS.speedWindowSeconds * 1000) {}

  add(bytes: number, now = Date.now()): void {
    this.total += bytes;
    this.samples.push([now, this.total]);
    // Keep one sample older than the window, so the rate always spans the whole window.
    while (this.samples.length > 2 && now - this.samples[1][0] > this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window; 0 until two samples are apart in time. */
  rate(now = Date.now()): number {
    if (this.samples.length < 2) return 0;
    const [firstTime, firstTotal] = this.samples[0];
    const span = Math.max(now, this.samples[this.samples.length - 1][0]) - firstTime;
    return span > 0 ? ((this.total - firstTotal) * 1000) / span : 0;
  }
}

/** 0 → "0 B", 1536 → "1.5 KB", 862_000_000 → "862 MB" (decimal units, as the Hub shows sizes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** 44 → "44 s", 130 → "2 min 10 s", 7300 → "2 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

export interface TransferState {
  receivedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
}

/** Seconds left at the current speed; undefined while the speed is unknown. */
export function etaSeconds(state: TransferState): number | undefined {
  if (state.bytesPerSecond <= 0) return undefined;
  return Math.max(0, state.totalBytes - state.receivedBytes) / state.bytesPerSecond;
}

export function progressText(state: TransferState): string {
  const parts = [`${formatBytes(state.receivedBytes)} of ${formatBytes(state.totalBytes)}`];
  if (state.bytesPerSecond > 0) parts.push(`${formatBytes(state.bytesPerSecond)}/s`);
  const eta = etaSeconds(state);
  if (eta !== undefined) parts.push(`${formatDuration(eta)} left`);
  return parts.join(' · ');
}
