// The soak's samples as an SVG: first-token latency, turn overhead and CPU time per turn (left
// axis, ms) and extension-host RSS and heap (right axis, MB) against the turn number.

const W = 900;
const H = 420;
const M = { left: 60, right: 70, top: 40, bottom: 50 };

/** Each line drawn: the sample's key, its legend, its colour. */
const MS_SERIES = [
  ['firstTokenMs', 'first-token latency (ms)', '#1f77b4'],
  ['overheadMs', 'turn overhead outside the worker (ms)', '#2ca02c'],
  ['cpuMs', 'CPU time of the turn, all threads (ms)', '#9467bd'],
];
const MB_SERIES = [
  ['rssMb', 'extension-host RSS after a collection (MB, right)', '#d62728'],
  ['heapMb', 'extension-host JS heap in use (MB, right)', '#ff7f0e'],
];

function ticks(max, count = 5) {
  const step = max / count;
  return Array.from({ length: count + 1 }, (_, i) => i * step);
}

/** Bins samples into at most `bins` points (median per bin) so the lines stay readable. */
function binned(samples, key, bins = 300) {
  const size = Math.max(1, Math.ceil(samples.length / bins));
  const points = [];
  for (let i = 0; i < samples.length; i += size) {
    const values = samples.slice(i, i + size).map((s) => s[key]).sort((a, b) => a - b);
    points.push([samples[i].turn, values[Math.floor(values.length / 2)]]);
  }
  return points;
}

export function plot(samples, summary) {
  const turns = Math.max(1, samples.at(-1)?.turn ?? 1);
  // The first turn starts the model cold; the axis is scaled to the rest, and a point above it
  // is drawn at the top edge.
  const ms = MS_SERIES.flatMap(([key]) => binned(samples.slice(1), key)).map(([, v]) => v).sort((a, b) => a - b);
  const msMax = Math.max(1, ms[Math.floor(ms.length * 0.98)] ?? 1) * 1.3;
  const rssMax = Math.max(1, ...samples.map((s) => s.rssMb)) * 1.15;
  const x = (turn) => M.left + (turn / turns) * (W - M.left - M.right);
  const yMs = (v) => H - M.bottom - (Math.min(v, msMax) / msMax) * (H - M.top - M.bottom);
  const yRss = (v) => H - M.bottom - (v / rssMax) * (H - M.top - M.bottom);
  const line = (points, y, color) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">Soak: ${summary.turns} chat turns, ${summary.keystrokes} keystrokes (median per bin)</text>`,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${W - M.right}" y1="${M.top}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
  ];
  for (const t of ticks(turns)) parts.push(`<text x="${x(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${Math.round(t)}</text>`);
  for (const v of ticks(msMax)) parts.push(`<text x="${M.left - 6}" y="${yMs(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
  for (const v of ticks(rssMax)) parts.push(`<text x="${W - M.right + 6}" y="${yRss(v) + 4}">${v.toFixed(0)}</text>`);
  parts.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">turn</text>`);
  parts.push(`<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">milliseconds</text>`);
  parts.push(`<text transform="translate(${W - 14} ${H / 2}) rotate(90)" text-anchor="middle">extension-host RSS (MB)</text>`);
  for (const [key, , color] of MS_SERIES) parts.push(line(binned(samples, key), yMs, color));
  for (const [key, , color] of MB_SERIES) parts.push(line(binned(samples, key), yRss, color));
  const legend = [...MS_SERIES, ...MB_SERIES].map(([, label, color]) => [label, color]);
  legend.forEach(([label, color], i) => {
    const ly = M.top + 8 + i * 16;
    parts.push(`<line x1="${M.left + 12}" y1="${ly}" x2="${M.left + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${M.left + 38}" y="${ly + 4}">${label}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
