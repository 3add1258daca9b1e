// `endless check-cache`: proves eviction and re-rotation right for a model (evaluate.ts).
import { cacheCheckPassed, checkCache } from '../evaluate';
import { print, type Values } from './args';
import { loadEvalModel, textIds } from './evalModel';

export async function checkCacheCommand(values: Values): Promise<void> {
  const { model, tokenizer, decoder, sinks, window } = await loadEvalModel(values, 'sink');
  try {
    const ids: number[] = [];
    for await (const piece of textIds(values, tokenizer)) for (const id of piece) ids.push(id);
    const report = await checkCache({ decoder, arch: model.arch, mode: 'sink', sinks, window }, ids);
    const ok = cacheCheckPassed(report);
    const layer0Ok = report.maxLayer0KvDiff <= report.layer0Tolerance;
    const shiftBound = report.windowShiftTolerance ?? 0;
    const human = [
      `${model.name} · sinks ${sinks} · window ${window} · ${ids.length} tokens · ${report.checks.length} checks after evictions`,
      ...report.checks.map(
        (c) =>
          `  after ${c.streamed} tokens (${c.evictions} evictions, ${c.cached} cached): layer-0 K/V diff ${c.layer0KvDiff.toExponential(2)}, logits diff ${c.logitsDiff.toExponential(2)}`,
      ),
      `largest layer-0 K/V difference ${report.maxLayer0KvDiff.toExponential(2)} (${layer0Ok ? 'ok' : 'FAIL'}: must be ≤ ${report.layer0Tolerance.toExponential(1)}${report.kvType === 'float16' ? ', the rounding of float16 K/V' : ''})`,
      `largest next-token logits difference ${report.maxLogitsDiff.toExponential(2)} (what kept tokens remember of evicted ones)`,
      report.windowShiftLogitsDiff === null
        ? 'window-mode shift check skipped: the graph takes no position ids'
        : `window mode, re-rotated vs original positions, all layers: logits diff ${report.windowShiftLogitsDiff.toExponential(2)}; ` +
          `the graph's own noise ${report.windowShiftNoise!.toExponential(2)} (${report.windowShiftLogitsDiff <= shiftBound ? 'ok' : 'FAIL'}: must be ≤ ${shiftBound.toExponential(1)})`,
      `check-cache ${ok ? 'passed' : 'FAILED'}`,
    ].join('\n');
    print(Boolean(values.json), { model: model.name, ok, ...report }, human);
    if (!ok) process.exitCode = 1;
  } finally {
    await decoder.release();
  }
}
