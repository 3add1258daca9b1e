// Text renderings of the cache statistics for the status bar, its tooltip and the
// "Show Cache Status" report. No `vscode` here.
import type { EngineStats, StreamStats } from '../engine/protocol';

/** 1020 → "1.0K", 38 → "38", 1_500_000 → "1.5M". */
export function compactCount(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}K`;
  return String(Math.round(value));
}

export function usedSlots(stream: StreamStats): number {
  return stream.capacity - stream.free;
}

/** The status bar text while the model is loaded, e.g. "Endless 1.0K/1.0K · 38 tok/s · default" (the model last). */
export function statusText(stats: EngineStats, active: StreamStats): string {
  const chat = stats.streams.chat;
  const rate = active.decodeTokensPerSec > 0 ? ` · ${Math.round(active.decodeTokensPerSec)} tok/s` : '';
  return `Endless ${compactCount(usedSlots(chat))}/${compactCount(chat.capacity)}${rate} · ${stats.model}`;
}

/** One line per stream for the tooltip. */
export function streamSummary(stream: StreamStats): string {
  return (
    `${stream.stream}: ${usedSlots(stream)}/${stream.capacity} slots ` +
    `(sinks ${stream.sinks}, pinned ${stream.pinned}, window ${stream.window}/${stream.windowCapacity}), ` +
    `${stream.totalTokens} streamed, ${stream.evictions} evictions (${stream.tokensEvicted} tokens), ` +
    `${stream.decodeTokensPerSec.toFixed(1)} tok/s`
  );
}

/** The full report printed by "Endless: Show Cache Status". */
export function fullReport(stats: EngineStats): string {
  const lines = [
    `Model: ${stats.model}`,
    `Worker memory (RSS): ${(stats.rssBytes / 2 ** 20).toFixed(1)} MiB`,
    `Uptime: ${(stats.uptimeMs / 1000).toFixed(1)} s`,
  ];
  for (const stream of Object.values(stats.streams)) {
    lines.push(
      '',
      `Stream "${stream.stream}" (${stream.mode} mode)`,
      `  capacity            ${stream.capacity} slots`,
      `  sinks               ${stream.sinks}`,
      `  pinned              ${stream.pinned}`,
      `  window used         ${stream.window} of ${stream.windowCapacity}`,
      `  free                ${stream.free}`,
      `  tokens streamed     ${stream.totalTokens}`,
      `  evictions           ${stream.evictions} (${stream.tokensEvicted} tokens)`,
      `  last eviction       ${stream.lastEvictionMs.toFixed(2)} ms`,
      `  prefill             ${stream.prefillTokensPerSec.toFixed(0)} tok/s, last ${stream.lastPrefillMs.toFixed(1)} ms`,
      `  decode              ${stream.decodeTokensPerSec.toFixed(1)} tok/s`,
      `  last request        ${stream.lastRequestLatencyMs.toFixed(0)} ms`,
    );
  }
  return lines.join('\n');
}
