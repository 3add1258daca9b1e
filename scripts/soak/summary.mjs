// The soak's numbers from its samples, and its goals: per-turn latency, host overhead and CPU
// time do not grow (last 10% of turns vs first 10%), host memory grows by 64 MB at most, the transcript
// stays within its storage cap, the panel within its message cap.

/** Median of `values` (0 for none). */
function median(values) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `share`: the part of the turns compared at each end (a tenth by default; a short run compares
 * more of its turns, as ten samples of a noisy machine are too few to tell growth from chance).
 */
export function summarize(raw, { panelMessages, panelCap }, share = 0.1) {
  const samples = raw.samples;
  const span = Math.max(1, Math.floor(samples.length * share));
  // The very first turn starts the chat stream cold.
  const first = samples.slice(1, span + 1);
  const last = samples.slice(-span);
  return {
    turns: samples.length,
    keystrokes: raw.keystrokes,
    tokensStreamed: raw.tokensStreamed,
    firstTokenMs: { first: median(first.map((s) => s.firstTokenMs)), last: median(last.map((s) => s.firstTokenMs)) },
    turnOverheadMs: { first: median(first.map((s) => s.overheadMs)), last: median(last.map((s) => s.overheadMs)) },
    turnCpuMs: { first: median(first.map((s) => s.cpuMs)), last: median(last.map((s) => s.cpuMs)) },
    rssMb: { extensionHost: { start: samples[Math.min(span, samples.length - 1)]?.rssMb ?? 0, end: samples.at(-1)?.rssMb ?? 0 } },
    storedBytes: raw.storedBytes,
    storageCapBytes: raw.storageCapBytes,
    panelMessages,
    panelCap,
    seconds: raw.seconds,
  };
}

/**
 * Goals missed, one sentence each; empty when all are met. `wallTimes: false` leaves out the
 * wall-clock latencies, which on a machine shared with other work measure the machine as much as
 * the product; the CPU time per turn is judged either way.
 */
export function goals(summary, { ratio = 1.25, rssGrowthMb = 64, wallTimes = true } = {}) {
  const missed = [];
  // Below a millisecond the ratio is noise; such a latency has not grown in any sense that matters.
  const grew = ({ first, last }) => last > 1 && last / Math.max(first, 1e-9) > ratio;
  const growth = (what, { first, last }) => `${what} grew from ${first.toFixed(1)} to ${last.toFixed(1)} ms (goal ≤ ×${ratio})`;
  if (wallTimes && grew(summary.firstTokenMs)) missed.push(growth('first-token latency', summary.firstTokenMs));
  if (wallTimes && grew(summary.turnOverheadMs)) missed.push(growth('turn overhead', summary.turnOverheadMs));
  if (grew(summary.turnCpuMs)) missed.push(growth('CPU time per turn', summary.turnCpuMs));
  const rss = summary.rssMb.extensionHost;
  if (rss.end - rss.start > rssGrowthMb) missed.push(`extension-host RSS grew from ${rss.start.toFixed(0)} to ${rss.end.toFixed(0)} MB (goal ≤ +${rssGrowthMb} MB)`);
  if (summary.storedBytes > summary.storageCapBytes) missed.push(`the transcript takes ${summary.storedBytes} bytes, over its cap of ${summary.storageCapBytes}`);
  if (summary.panelMessages !== null && summary.panelCap !== null && summary.panelMessages > summary.panelCap) {
    missed.push(`the panel holds ${summary.panelMessages} messages, over its cap of ${summary.panelCap}`);
  }
  return missed;
}
