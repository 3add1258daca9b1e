// The live cache view: per stream, a bar of the cache to scale (sinks | pinned | window used |
// free), counters, and a small plot of decode tokens/s over the last minute.
import type { EngineStats, StreamId, StreamStats } from '../engine/protocol';
import { h, svg } from './dom';
import type { EngineView } from './protocol';

const HISTORY = 60;
const SAMPLE_MS = 1000;
const PLOT_WIDTH = 120;
const PLOT_HEIGHT = 28;

interface StreamView {
  bar: HTMLElement;
  segments: Record<'sinks' | 'pinned' | 'window' | 'free', HTMLElement>;
  usage: HTMLElement;
  counters: Record<'streamed' | 'evictions' | 'evicted' | 'rate' | 'prefill', HTMLElement>;
  line: SVGPolylineElement;
  peak: HTMLElement;
  history: number[];
  lastTotal: number;
}

const STREAM_TITLES: Record<StreamId, string> = { chat: 'Chat stream', editor: 'Editor stream' };

export class CacheView {
  readonly element: HTMLElement;
  private readonly modelLine: HTMLElement;
  private readonly streams: Record<StreamId, StreamView>;
  private latest: EngineStats | undefined;
  private engine: EngineView | undefined;

  constructor() {
    this.modelLine = h('div', { className: 'cache-model' }, 'No model loaded yet');
    this.streams = { chat: streamView('chat'), editor: streamView('editor') };
    this.element = h(
      'section',
      { className: 'cache', role: 'region', 'aria-label': 'Cache' },
      this.modelLine,
      this.block('chat'),
      this.block('editor'),
    );
    // Sample on a clock, not per message, so the plot shows idle time as zero.
    setInterval(() => this.sample(), SAMPLE_MS);
  }

  setEngine(engine: EngineView): void {
    this.engine = engine;
    this.renderModelLine();
  }

  update(stats: EngineStats): void {
    this.latest = stats;
    this.renderModelLine();
    for (const id of ['chat', 'editor'] as const) render(this.streams[id], stats.streams[id]);
  }

  /** Model name and the configured layout (the bars show what is in use). */
  private renderModelLine(): void {
    const engine = this.engine;
    const name = engine?.model?.name ?? this.latest?.model;
    if (!name) {
      this.modelLine.textContent = engine ? `Model ${engine.phase}` : 'No model loaded yet';
      return;
    }
    const layout = engine?.sinks !== undefined && engine.window !== undefined ? ` · sinks ${engine.sinks} · window ${engine.window}` : '';
    this.modelLine.textContent = `${name}${layout}`;
  }

  private block(id: StreamId): HTMLElement {
    const view = this.streams[id];
    const { counters } = view;
    return h(
      'div',
      { className: 'cache-stream' },
      h('div', { className: 'cache-stream-head' }, h('span', { className: 'cache-stream-title' }, STREAM_TITLES[id]), view.usage),
      view.bar,
      h(
        'dl',
        { className: 'cache-counters' },
        counter('streamed', counters.streamed),
        counter('evictions', counters.evictions),
        counter('evicted', counters.evicted),
        counter('decode', counters.rate),
        counter('last prefill', counters.prefill),
      ),
      h('div', { className: 'cache-plot' }, plotSvg(view.line), view.peak),
    );
  }

  private sample(): void {
    if (!this.latest) return;
    for (const id of ['chat', 'editor'] as const) {
      const stats = this.latest.streams[id];
      const view = this.streams[id];
      const moved = stats.totalTokens !== view.lastTotal;
      view.lastTotal = stats.totalTokens;
      view.history.push(moved ? stats.decodeTokensPerSec : 0);
      if (view.history.length > HISTORY) view.history.shift();
      drawPlot(view);
    }
  }
}

function streamView(id: StreamId): StreamView {
  const segment = (name: string, label: string) => h('span', { className: `seg seg-${name}`, title: label });
  const bar = h('div', { className: 'cache-bar', 'data-stream': id, 'data-used': 0, 'data-capacity': 0, role: 'img', 'aria-label': `${id} cache: no data yet` });
  const segments = {
    sinks: segment('sinks', 'sinks'),
    pinned: segment('pinned', 'pinned'),
    window: segment('window', 'window used'),
    free: segment('free', 'free'),
  };
  bar.append(segments.sinks, segments.pinned, segments.window, segments.free);
  const value = () => h('dd', {}, '–');
  return {
    bar,
    segments,
    usage: h('span', { className: 'cache-usage' }, '–'),
    counters: { streamed: value(), evictions: value(), evicted: value(), rate: value(), prefill: value() },
    line: svg('polyline', { points: '', fill: 'none' }),
    peak: h('span', { className: 'cache-peak' }, ''),
    history: [],
    lastTotal: 0,
  };
}

function render(view: StreamView, stats: StreamStats): void {
  const used = stats.capacity - stats.free;
  view.bar.dataset.used = String(used);
  view.bar.dataset.capacity = String(stats.capacity);
  view.bar.setAttribute(
    'aria-label',
    `${stats.stream} cache: ${used} of ${stats.capacity} slots used (sinks ${stats.sinks}, pinned ${stats.pinned}, window ${stats.window}, free ${stats.free})`,
  );
  const total = Math.max(1, stats.capacity);
  const parts = { sinks: stats.sinks, pinned: stats.pinned, window: stats.window, free: stats.free };
  for (const [name, value] of Object.entries(parts) as [keyof typeof parts, number][]) {
    // CSSOM writes are allowed under the panel's CSP (inline style attributes are not).
    view.segments[name].style.width = `${(100 * value) / total}%`;
    view.segments[name].title = `${name}: ${value}`;
  }
  view.usage.textContent = `${used} / ${stats.capacity}`;
  view.counters.streamed.textContent = String(stats.totalTokens);
  view.counters.evictions.textContent = String(stats.evictions);
  view.counters.evicted.textContent = String(stats.tokensEvicted);
  view.counters.rate.textContent = `${stats.decodeTokensPerSec.toFixed(1)} tok/s`;
  view.counters.prefill.textContent = `${stats.lastPrefillMs.toFixed(0)} ms`;
}

/** A label and its value; a div may group dt/dd pairs inside a dl. */
function counter(label: string, value: HTMLElement): HTMLElement {
  return h('div', { className: 'cache-counter' }, h('dt', {}, label), value);
}

function plotSvg(line: SVGPolylineElement): SVGSVGElement {
  const plot = svg('svg', { viewBox: `0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  plot.append(svg('line', { x1: 0, y1: PLOT_HEIGHT - 0.5, x2: PLOT_WIDTH, y2: PLOT_HEIGHT - 0.5, class: 'cache-plot-axis' }), line);
  return plot;
}

function drawPlot(view: StreamView): void {
  const highest = Math.max(0, ...view.history);
  const peak = Math.max(1, highest);
  const step = PLOT_WIDTH / (HISTORY - 1);
  const offset = HISTORY - view.history.length;
  view.line.setAttribute(
    'points',
    view.history
      .map((value, index) => `${((offset + index) * step).toFixed(1)},${(PLOT_HEIGHT - 1 - (value / peak) * (PLOT_HEIGHT - 3)).toFixed(1)}`)
      .join(' '),
  );
  view.peak.textContent = highest > 0 ? `peak ${highest.toFixed(0)} tok/s` : 'idle';
}
