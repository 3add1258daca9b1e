// A small SVG line-chart writer for the report: series of (x, y) points with markers, linear or
// log axes, a legend, optional horizontal reference lines. No dependencies; text is escaped.

export interface Series {
  name: string;
  points: [number, number][];
  /** Dashed line (e.g. a computed rather than measured series). */
  dashed?: boolean;
  /** CSS colour; by default the palette's colour for the series' place. */
  color?: string;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Horizontal reference lines, e.g. a goal. */
  hLines?: { y: number; label: string }[];
  yMin?: number;
  yMax?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 760;
const PLOT_H = 270;
const M = { left: 70, right: 20, top: 40, bottom: 70 };
const LEGEND_COLS = 2;
const LEGEND_ROW = 18;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}K`;
  if (a >= 1 || a === 0) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
}

/** Tick values: powers of ten (and 2×, 5× when few) on a log axis, "nice" steps on a linear one. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const decades = Math.log10(hi / lo);
    const mults = decades < 1.5 ? [1, 2, 5] : decades < 3 ? [1, 3] : [1];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mults) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function range(values: number[], log: boolean, min?: number, max?: number): [number, number] {
  let lo = min ?? Math.min(...values);
  let hi = max ?? Math.max(...values);
  if (log) {
    lo = min ?? lo / 1.25;
    hi = max ?? hi * 1.25;
  } else {
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
    lo = min ?? (lo >= 0 && lo - pad < 0 ? 0 : lo - pad);
    hi = max ?? hi + pad;
  }
  return [lo, hi];
}

export function lineChart(chart: Chart): string {
  const pts = chart.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) return emptyChart(chart.title);
  const ys = [...pts.map((p) => p[1]), ...(chart.hLines ?? []).map((h) => h.y)];
  const [x0, x1] = range(pts.map((p) => p[0]), !!chart.xLog);
  const [y0, y1] = range(ys, !!chart.yLog, chart.yMin, chart.yMax);
  const pw = W - M.left - M.right;
  const ph = PLOT_H;
  const H = M.top + ph + M.bottom + Math.ceil(chart.series.length / LEGEND_COLS) * LEGEND_ROW;
  const sx = (x: number) => M.left + (chart.xLog ? Math.log(x / x0) / Math.log(x1 / x0) : (x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => M.top + ph - (chart.yLog ? Math.log(y / y0) / Math.log(y1 / y0) : (y - y0) / (y1 - y0 || 1)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  for (const t of ticks(x0, x1, !!chart.xLog)) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(y0, y1, !!chart.yLog)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${(+y + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${M.top + ph + 36}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`);
  for (const h of chart.hLines ?? []) {
    const y = sy(h.y).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#555" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${M.left + pw - 4}" y="${(+y - 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(h.label)}</text>`);
  }
  out.push(`<clipPath id="plot"><rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/></clipPath>`);
  chart.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    if (p.length > 1) {
      const d = p.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} clip-path="url(#plot)"/>`);
    }
    if (p.length <= 40) for (const [x, y] of p) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${color}" clip-path="url(#plot)"/>`);
  });
  // Legend below the plot.
  const cols = LEGEND_COLS;
  chart.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const x = M.left + (i % cols) * (pw / cols);
    const y = M.top + ph + 62 + Math.floor(i / cols) * LEGEND_ROW;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x + 28}" y="${y}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function emptyChart(title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="120" font-family="sans-serif"><rect width="${W}" height="120" fill="#fff"/><text x="20" y="40" font-size="15">${esc(title)}: no data in this run</text></svg>\n`;
}
