// Renders bench/REPORT.md and its SVG plots (bench/plots/) from one run's results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { floorMs, type StepBytes } from '../sections/ceiling';
import type { PeerPoint } from '../sections/peers';
import { lineChart, type Series } from './svg';
import type { BenchResults } from './results';

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`);
const met = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'met' : 'not met');

/** One colour per engine in every plot. */
const ENGINE_COLORS: [string, string][] = [
  ['Endless, streaming', '#1f77b4'],
  ['Endless, standard', '#2ca02c'],
  ['transformers.js', '#ff7f0e'],
  ['llama.cpp', '#9467bd'],
];
const engineColor = (name: string) => ENGINE_COLORS.find(([prefix]) => name.startsWith(prefix))?.[1];

function peer(r: BenchResults, name: string, context: number): PeerPoint | undefined {
  return r.peers?.points.find((p) => p.peer.startsWith(name) && p.context === context);
}

/** GB/s that bounds a decode with this run's threads. */
function bandwidth(r: BenchResults): number | undefined {
  const b = r.ceiling?.bandwidth;
  return b ? (r.threads > 1 ? b.readAll : b.read1) : undefined;
}

function floor(r: BenchResults, bytes: StepBytes | undefined, cached: number): number | undefined {
  const bw = bandwidth(r);
  return bw && bytes ? floorMs(bytes, cached, bw) : undefined;
}

function peerBytes(r: BenchResults, name: string): StepBytes | undefined {
  if (name.startsWith('Endless, streaming')) return r.ceiling?.streaming;
  if (name.startsWith('llama.cpp')) return r.peers?.ggufStepBytes;
  return r.ceiling?.standard;
}

function plots(r: BenchResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, svg: string) => {
    writeFileSync(join(dir, name), svg);
    written.push(name);
  };
  if (r.decode) {
    const d = r.decode;
    const xs = d.byCached.map((p) => p.cached);
    const peers: Series[] = [...new Set(r.peers?.points.map((p) => p.peer) ?? [])].map((name) => ({
      name: `${name} (side by side)`,
      color: engineColor(name),
      points: r.peers!.points.filter((p) => p.peer === name).map((p) => [p.context, p.decodeMsPerToken] as [number, number]),
    }));
    put(
      'decode-vs-cached.svg',
      lineChart({
        title: 'Decode latency against cached tokens',
        xLabel: 'tokens in the cache',
        yLabel: 'ms per token (median)',
        xLog: true,
        yLog: true,
        series: [
          { name: 'Endless, streaming graph: sweep', color: '#08306b', points: d.byCached.map((p) => [p.cached, p.msPerToken]) },
          { name: 'the same sweep, CPU time', color: '#08306b', dashed: true, points: d.byCached.map((p) => [p.cached, p.cpuMsPerToken]) },
          ...peers,
          { name: 'memory-bandwidth floor (Endless)', color: '#555', dashed: true, points: xs.map((x) => [x, floor(r, r.ceiling?.streaming, x) ?? NaN]) },
        ],
      }),
    );
    const mode = (m: string) => d.byPosition.filter((p) => p.mode === m).map((p) => [p.position, p.msPerToken] as [number, number]);
    const cpu = (m: string) => d.byPosition.filter((p) => p.mode === m).map((p) => [p.position, p.cpuMsPerToken] as [number, number]);
    put(
      'decode-vs-position.svg',
      lineChart({
        title: `Decode latency along an endless stream (${d.sinks} sinks + ${d.window} window)`,
        xLabel: 'tokens streamed so far',
        yLabel: 'ms per token (median)',
        xLog: true,
        yLog: true,
        series: [
          { name: 'sink (Endless)', color: '#1f77b4', points: mode('sink') },
          { name: 'sink, CPU time', color: '#1f77b4', dashed: true, points: cpu('sink') },
          { name: 'dense (no eviction)', color: '#d62728', points: mode('dense') },
          { name: 'recompute (window re-run per token)', color: '#2ca02c', points: mode('recompute') },
          { name: 'memory-bandwidth floor, sink cache full', color: '#555', dashed: true, points: mode('sink').map(([x]) => [x, floor(r, r.ceiling?.streaming, d.sinks + d.window) ?? NaN]) },
        ],
      }),
    );
  }
  if (r.peers?.points.length) {
    const names = [...new Set(r.peers.points.map((p) => p.peer))];
    put(
      'peers-prefill.svg',
      lineChart({
        title: 'Prefill throughput, same weights and prompt',
        xLabel: 'prompt tokens',
        yLabel: 'tokens per second (prompt → first token)',
        yMin: 0,
        series: names.map((n) => ({ name: n, color: engineColor(n), points: r.peers!.points.filter((p) => p.peer === n).map((p) => [p.context, p.prefillTokensPerSec] as [number, number]) })),
      }),
    );
  }
  if (r.perplexity) {
    const seg = 1024;
    put(
      'perplexity.svg',
      lineChart({
        title: `Streaming perplexity per ${seg}-token segment (held-out code)`,
        xLabel: 'position in the stream (tokens)',
        yLabel: 'perplexity',
        yLog: true,
        series: r.perplexity.curves.map((c) => ({
          dashed: c.mode === 'window',
          name: c.mode === 'sink' ? `sink (${r.perplexity!.sinks} + ${r.perplexity!.window})` : c.mode === 'dense' ? 'dense' : `${c.mode} (${r.perplexity!.window + r.perplexity!.sinks})`,
          points: c.segments.map((p, i) => [(i + 1) * seg, p] as [number, number]),
        })),
      }),
    );
  }
  if (r.memory) {
    const m = r.memory.points;
    put(
      'memory.svg',
      lineChart({
        title: 'Memory along an endless chat stream',
        xLabel: 'tokens streamed through the chat cache',
        yLabel: 'MB',
        yMin: 0,
        series: [
          { name: 'process RSS with the worker', points: m.map((p) => [p.position, p.rssMb]) },
          { name: 'sink cache K/V', points: m.map((p) => [p.position, p.kvMb]) },
          { name: 'dense cache K/V (computed)', dashed: true, points: m.map((p) => [p.position, p.denseKvMb]) },
        ],
      }),
    );
  }
  return written;
}

function summary(r: BenchResults): string[] {
  const rows: string[] = ['| | measured | goal | |', '|---|---|---|---|'];
  const d = r.decode;
  const s900 = peer(r, 'Endless, streaming', 900);
  const std = (c: number) => peer(r, 'Endless, standard', c);
  const tf = (c: number) => peer(r, 'transformers.js', c);
  const ll = (c: number) => peer(r, 'llama.cpp', c);
  // Decode ratios in wall time and, in brackets, CPU time (steadier when other work shares the cores).
  const both = (a: PeerPoint, b: PeerPoint) => `${ratio(a.decodeMsPerToken / b.decodeMsPerToken)} (CPU ${ratio(a.decodeCpuMsPerToken / b.decodeCpuMsPerToken)})`;
  if (s900) {
    rows.push(`| Endless decode, ~900 tokens of context (streaming graph) | ${f(s900.decodeMsPerToken)} ms/token (CPU ${f(s900.decodeCpuMsPerToken)}) | ≤ 4 ms | ${met(s900.decodeMsPerToken <= 4)} |`);
  }
  if (s900 && tf(900)) {
    const x = tf(900)!.decodeMsPerToken / s900.decodeMsPerToken;
    rows.push(`| transformers.js ÷ Endless decode at ~900 | ${both(tf(900)!, s900)} | ≥ 4× | ${met(x >= 4)} |`);
  }
  for (const c of r.peers?.contexts ?? []) {
    if (std(c) && tf(c)) {
      const x = tf(c)!.decodeMsPerToken / std(c)!.decodeMsPerToken;
      rows.push(`| transformers.js ÷ Endless on the standard export, decode at ${c} | ${both(tf(c)!, std(c)!)} | ≥ 1× | ${met(x >= 1)} |`);
    }
  }
  for (const c of r.peers?.contexts ?? []) {
    const e = peer(r, 'Endless, streaming', c);
    if (e && ll(c)) {
      rows.push(`| Endless ÷ llama.cpp at ${c}: decode; prefill time | ${both(e, ll(c)!)}; ${ratio(e.prefillMs / ll(c)!.prefillMs)} | (the CPU reference) | |`);
    }
  }
  if (d) {
    rows.push(`| Flatness: sink decode at ${d.flatness.to.toLocaleString('en')} ÷ at ${d.flatness.from.toLocaleString('en')} tokens | ${ratio(d.flatness.ratio)} | ≤ 1.10× | ${met(d.flatness.ratio <= 1.1)} |`);
    rows.push(`| Recompute ÷ sink decode, same window | ${ratio(d.recomputeOverSink)} | (baseline) | |`);
  }
  if (r.ceiling && s900) {
    const fl = floor(r, r.ceiling.streaming, 900)!;
    rows.push(`| Endless decode at ~900 as a multiple of the bandwidth floor (${f(fl)} ms) | ${ratio(s900.decodeMsPerToken / fl)} (CPU ${ratio(s900.decodeCpuMsPerToken / fl)}) | 1× is the limit | |`);
    const l900 = ll(900);
    const lfl = floor(r, r.peers?.ggufStepBytes, 900);
    if (l900 && lfl) rows.push(`| llama.cpp decode at ~900 as a multiple of its floor (${f(lfl)} ms) | ${ratio(l900.decodeMsPerToken / lfl)} (CPU ${ratio(l900.decodeCpuMsPerToken / lfl)}) | | |`);
  }
  if (r.perplexity) {
    const p = (m: string) => r.perplexity!.curves.find((c) => c.mode === m);
    const sink = p('sink');
    const win = p('window');
    const rec = p('recompute');
    if (sink && win && rec) {
      // Compared over the tokens every mode streamed (recompute streams fewer): whole 1,024-token segments.
      const k = Math.min(sink.segments.length, win.segments.length, rec.segments.length) - (rec.tokens % 1024 > 1 ? 1 : 0);
      const over = (c: typeof sink) => Math.exp(c.segments.slice(0, k).reduce((a, x) => a + Math.log(x), 0) / k);
      rows.push(`| Perplexity over the first ${(k * 1024).toLocaleString('en')} tokens: sink / window / recompute | ${f(over(sink))} / ${f(over(win))} / ${f(over(rec))} | sink ≈ recompute, < window | ${met(over(sink) <= over(rec) * 1.05 && over(sink) < over(win))} |`);
      rows.push(`| Perplexity over ${sink.tokens.toLocaleString('en')} tokens: sink / window | ${f(sink.perplexity)} / ${f(win.perplexity)} | | |`);
    }
  }
  if (r.memory) {
    rows.push(`| Worker process RSS, end of stream ÷ when the window first filled | ${ratio(r.memory.growthAfterWindow)} | flat | ${met(r.memory.growthAfterWindow <= 1.1)} |`);
  }
  if (r.completion) {
    const q = r.completion.providerMs;
    rows.push(`| Completion provider time, request → first item, over a replayed editing session: p50 / p95 | ${f(q.p50, 0)} / ${f(q.p95, 0)} ms | ≤ 100 / ≤ 300 ms | ${met(q.p50 <= 100 && q.p95 <= 300)} |`);
  }
  return rows;
}

export function renderReport(r: BenchResults, root: string): void {
  const written = plots(r, join(root, 'bench/plots'));
  const img = (name: string, alt: string) => (written.includes(name) ? [`![${alt}](plots/${name})`, ''] : []);
  const m = r.machine;
  const L: string[] = [];
  L.push('# Endless benchmark report', '');
  L.push(`Generated by \`npm run bench${r.quick ? ' -- --quick' : ''}\` (bench/run.ts); numbers from \`bench/results/latest.json\`.`, '');
  L.push(`- **When**: ${m.date} · **commit** \`${m.commit}\`${m.dirty ? ' (with uncommitted changes)' : ''} · ${r.quick ? '**quick run** (shorter streams, fewer repetitions)' : 'full run'}`);
  const earlier = earlierSections(r);
  if (earlier.length) L.push(`- **Sections kept from earlier runs** (\`--only\` re-ran the others): ${earlier.join('; ')}`);
  L.push(`- **Machine**: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}; Node ${m.node}; onnxruntime-node ${m.onnxruntime}`);
  L.push(`- **Load average** (other work sharing the cores): ${f(m.loadStart, 1)} at the start, ${f(m.loadEnd, 1)} at the end. Wall times on a loaded 2-core machine vary by ±20% and more; CPU times are given where they help.`);
  L.push(`- **Threads**: ${r.threads} intra-op thread(s) for every engine; Endless and llama.cpp with ${r.sinks} sinks + ${r.window} window tokens.`);
  L.push(`- **Model**: the bundled model (\`models/default\`: 32M parameters, int4 \`MatMulNBits\` blocks of 32, 8 layers, 4 KV heads × 64, 1,024 trained positions); the same weights in the standard export (\`bench/models/default-hf\`) and as GGUF Q4_0 (\`tools/export/onnxToGguf.ts\`).`);
  const failed = Object.entries(r.errors ?? {});
  if (failed.length) L.push('', `**Sections that failed in this run**: ${failed.map(([k, v]) => `${k} (${v.split('\n')[0]})`).join('; ')}`);
  L.push('', '## Summary', '', ...summary(r), '');

  if (r.ceiling) {
    const c = r.ceiling;
    const b = c.bandwidth;
    L.push('## The ceiling: memory bandwidth', '');
    L.push(`Measured in this run by scanning a ${b.bufferMb} MB buffer for a byte it does not hold (\`memchr\`, vectorised): **${f(b.read1, 1)} GB/s** on one thread, ${f(b.readAll, 1)} GB/s on ${b.threadsAll}; a 16 MB buffer (cache-resident where caches allow) reads at ${f(b.read16MB, 1)} GB/s.`);
    L.push('');
    L.push(`The 16 MB figure is why the floor below is a guide, not a wall: a decode step's working set (weights plus K/V, ~20–35 MB) partly stays in this CPU's caches between steps, so an engine can come in under it (CPU time below 1× floor).`, '');
    L.push(`A decode step must read every weight once (the embedding table only for its one row) and every cached K/V value once. Floor = bytes ÷ ${f(bandwidth(r), 1)} GB/s (the bandwidth at ${r.threads} thread(s)):`, '');
    L.push('| engine | weight bytes per step | K/V bytes per cached token | bytes at 900 cached | floor at 900 |', '|---|---|---|---|---|');
    const row = (name: string, s: StepBytes | undefined) =>
      s && L.push(`| ${name} | ${(s.weightBytes / 2 ** 20).toFixed(1)} MiB | ${s.kvBytesPerToken.toLocaleString('en')} B | ${((s.weightBytes + 900 * s.kvBytesPerToken) / 2 ** 20).toFixed(1)} MiB | ${f(floor(r, s, 900))} ms |`);
    row('Endless, streaming graph (fp32 K/V)', c.streaming);
    row('standard export (Endless, transformers.js; fp32 K/V)', c.standard);
    row('llama.cpp GGUF Q4_0 (f16 K/V)', r.peers?.ggufStepBytes);
    L.push('');
  }

  if (r.decode) {
    const d = r.decode;
    L.push('## Decode against cached tokens and stream position', '');
    L.push(`Greedy single-token steps on the streaming graph (${d.threads.decode} thread(s)), median wall time of each point's steps; sampling is outside the timing. *× floor* is the step as a multiple of the bandwidth floor above.`, '');
    L.push(...img('decode-vs-cached.svg', 'decode against cached tokens'));
    L.push('| cached tokens | ms/token | CPU ms/token | × floor |', '|---|---|---|---|');
    for (const p of d.byCached) L.push(`| ${p.cached.toLocaleString('en')} | ${f(p.msPerToken)} | ${f(p.cpuMsPerToken)} | ${ratio(p.msPerToken / (floor(r, r.ceiling?.streaming, p.cached) ?? NaN))} |`);
    L.push('');
    L.push(...img('decode-vs-position.svg', 'decode along the stream'));
    L.push('| mode | position | cached | ms/token | CPU ms/token | steps | × floor |', '|---|---|---|---|---|---|---|');
    for (const p of d.byPosition) {
      L.push(`| ${p.mode} | ${p.position.toLocaleString('en')} | ${p.cached.toLocaleString('en')} | ${f(p.msPerToken)} | ${f(p.cpuMsPerToken)} | ${p.steps} | ${ratio(p.msPerToken / (floor(r, r.ceiling?.streaming, p.cached) ?? NaN))} |`);
    }
    L.push('');
    L.push(`- **Flatness** (sink at ${d.flatness.to.toLocaleString('en')} ÷ at ${d.flatness.from.toLocaleString('en')}): **${ratio(d.flatness.ratio)}** (goal ≤ 1.10×). **Recompute ÷ sink** at the same window: **${ratio(d.recomputeOverSink)}**.`);
    L.push(`- Sink prefill while streaming (chunks of 256, evictions included): ${f(d.sinkPrefillTokensPerSec, 0)} tokens/s; ${d.evictions} evictions of ${Math.ceil(d.window / 8)} tokens with re-rotation, ${f(d.meanEvictionMs)} ms each on average.`);
    L.push('- Dense is measured to the largest cached size listed (its prefill grows quadratically and its positions pass the 1,024 the model was trained on); recompute at position P starts from the window before P computed afresh (which is exactly what recompute holds there) and re-runs the window for every token.');
    L.push('');
  }

  if (r.peers) {
    const p = r.peers;
    L.push('## Peers on the same weights', '');
    L.push(`Same token ids (held-out code from \`tools/train/heldout-stream.txt\`, led by \`<|bos|>\`), ${p.threads} thread(s), greedy, end-of-sequence ignored, runs interleaved round-robin so that load falls on all alike. Prefill = prompt → first token from an empty cache; decode = median step after it. *agrees* = greedy tokens identical to Endless's streaming graph before the first difference.`, '');
    L.push('| engine | context | prefill ms | prefill tok/s | decode ms/token | decode CPU ms | × floor | agrees |', '|---|---|---|---|---|---|---|---|');
    for (const q of p.points) {
      const fl = floor(r, peerBytes(r, q.peer), q.context);
      L.push(`| ${q.peer} | ${q.context} | ${f(q.prefillMs, 0)} | ${f(q.prefillTokensPerSec, 0)} | ${f(q.decodeMsPerToken)} | ${f(q.decodeCpuMsPerToken)} | ${ratio(q.decodeMsPerToken / (fl ?? NaN))} | ${q.agreesWithEndless}/${q.generated} |`);
    }
    L.push('');
    L.push(...img('peers-prefill.svg', 'prefill throughput'));
    const s = p.gguf.scaleRounding;
    L.push(`**The GGUF** (\`tools/export/onnxToGguf.ts\`, written afresh each run, ${(p.gguf.bytes / 2 ** 20).toFixed(1)} MiB): every \`MatMulNBits\` block (4 bits, 32 weights, symmetric, fp32 scale) becomes a Q4_0 block with the same 4-bit codes; only the scale is rounded to fp16 — ${s.exact.toLocaleString('en')} of ${s.scales.toLocaleString('en')} scales exactly, the largest relative error ${s.maxRelError.toExponential(2)} (≤ 2⁻¹¹ by construction). Query and key rows are permuted per head from rotate-half to llama.cpp's interleaved RoPE (a reordering, no value changes); the 8-bit embedding is written as F32 exactly; norms are F32. Both runtimes quantise activations to 8 bits inside these matmuls, so the logits agree closely but not bit for bit: see *agrees*. llama.cpp's context shift is set to drop ${Math.ceil(r.window / 8)} tokens after the first ${r.sinks} (its \`n_keep\`), as Endless evicts after its sinks (configured for parity; at 256 and 900 tokens the prompts fit and no shift happens).`);
    const errs = Object.entries(p.errors);
    if (errs.length) L.push('', `Peers that failed: ${errs.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    L.push('');
  }

  if (r.perplexity) {
    const p = r.perplexity;
    L.push('## Streaming perplexity', '');
    L.push(`\`${p.text}\` (${p.textTokens.toLocaleString('en')} tokens of held-out code: see \`bench/data/README.md\`) streamed through one cache per mode, ${p.chunk} tokens per forward pass and per eviction, so every prediction sees between ${p.window + p.sinks - p.chunk} and ${p.window + p.sinks} tokens of context. Sink: ${p.sinks} sinks + ${p.window}; window and recompute: ${p.window + p.sinks} tokens, no sinks; dense: no eviction.`, '');
    L.push(...img('perplexity.svg', 'streaming perplexity'));
    L.push('| mode | tokens | perplexity | first segment | last segment | worst segment | seconds |', '|---|---|---|---|---|---|---|');
    for (const c of p.curves) L.push(`| ${c.mode} | ${c.tokens.toLocaleString('en')} | ${f(c.perplexity)} | ${f(c.segments[0])} | ${f(c.segments.at(-1))} | ${f(Math.max(...c.segments))} | ${f(c.seconds, 0)} |`);
    L.push('');
    L.push('Dense runs a shorter stream: its cost grows with the square of the length and it has already failed once the stream passes the 1,024 positions the model was trained on.', '');
  }

  if (r.memory) {
    const m = r.memory;
    L.push('## Memory along the stream', '');
    L.push(`A fresh process starts the engine's worker thread (\`${m.worker}\`) and streams chat turns of held-out code through it (~2,000 characters a turn, one generated token each); after each turn the process RSS (the worker lives in it) and the chat cache's K/V bytes. The dense line is computed (tokens × K/V bytes per token) for comparison. Process RSS before the model loads: ${f(m.rssBeforeLoadMb, 0)} MB.`, '');
    L.push(...img('memory.svg', 'memory along the stream'));
    L.push('| position | RSS MB | sink K/V MB | dense K/V MB (computed) |', '|---|---|---|---|');
    for (const p of m.points) L.push(`| ${p.position.toLocaleString('en')} | ${f(p.rssMb, 0)} | ${f(p.kvMb, 1)} | ${f(p.denseKvMb, 1)} |`);
    L.push('');
  }
  if (r.completion) {
    const c = r.completion;
    const q = (x: { p50: number; p95: number; n: number }) => `${f(x.p50, 0)} | ${f(x.p95, 0)} | ${x.n}`;
    L.push('## Completion latency over an editing session', '');
    L.push(`\`bench/completion-session.json\` (${c.session.events} recorded editor events over ${f(c.session.seconds, 0)} s of typing, cursor moves and file switches in TypeScript and Python) replayed in real time through the extension's feed scheduler, completion logic and engine worker; VS Code's part is played as it behaves (each edit cancels the request in flight and asks again 50 ms later). ${c.requests.asked} requests, ${c.requests.cancelled} cancelled by further typing, ${c.requests.withItem} answered with an item.`, '');
    L.push('| answered from | p50 ms | p95 ms | requests |', '|---|---|---|---|');
    L.push(`| any (provider time, request → first item) | ${q(c.providerMs)} |`);
    for (const [source, x] of Object.entries(c.bySource)) if (x.n) L.push(`| ${source} | ${q(x)} |`);
    L.push('');
    L.push(`Tokens pre-filled per model request: p50 ${c.prefilledTokens.p50}, p95 ${c.prefilledTokens.p95} (the editor stream is fed ahead of the request, so a request pre-fills only what changed). Engine time to the first token per model request: p50 ${f(c.firstTokenMs.p50, 0)} ms, p95 ${f(c.firstTokenMs.p95, 0)} ms. Keystroke → ghost text in code-server is measured by \`test/e2e/ghostLatency.mjs\`.`, '');
  }
  L.push('## Reproduce', '');
  L.push('```sh', 'npm run bench -- --quick      # a few minutes', 'npm run bench                 # the full run (~30 minutes on 2 cores)', 'npm run bench -- --only peers # one section; the others keep their last results', 'npm run bench -- --report-only # re-render this file from bench/results/latest.json', '```');
  if (r.seconds) L.push('', `Section times in this run: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}.`);
  writeFileSync(join(root, 'bench/REPORT.md'), `${L.join('\n')}\n`);
}

/** Sections measured by another run than the one in the header, grouped by run. */
export function earlierSections(r: BenchResults): string[] {
  const groups = new Map<string, string[]>();
  for (const [name, run] of Object.entries(r.sectionRuns ?? {})) {
    if (run.date === r.machine.date) continue;
    const key = `${run.date} · commit \`${run.commit}\` · ${run.quick ? 'quick run' : 'full run'}`;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups].map(([key, names]) => `${names.join(', ')}: ${key}`);
}
