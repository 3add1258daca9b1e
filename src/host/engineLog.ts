// What the engine does, line by line, for the "Endless" log: when and how long the model took
// to load, the threads it chose, every eviction, failures and restarts. No `vscode` here: the
// extension hands in its LogOutputChannel, tests a plain recorder.
import type { EngineStats, StreamId } from '../engine/protocol';
import type { EngineClient, EngineState } from './engineClient';
import type { Subscription } from './listeners';

export interface LogSink {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

/** Follows `engine` and writes its events to `log` until disposed. */
export function logEngine(engine: EngineClient, log: LogSink): Subscription {
  let loadStartedAt = 0;
  // Evictions already reported, per stream; a new worker starts its counters at zero.
  let seen: Record<StreamId, number> = { chat: 0, editor: 0 };
  const onState = engine.onState.on((state) => {
    if (state.kind === 'starting') {
      loadStartedAt = Date.now();
      seen = { chat: 0, editor: 0 };
    }
    const line = describeState(state, Date.now() - loadStartedAt);
    if (!line) return;
    if (state.kind === 'failed') log.error(line);
    else if (state.kind === 'restarting') log.warn(line);
    else log.info(line);
  });
  const onStats = engine.onStats.on((stats) => {
    for (const line of evictionLines(stats, seen)) log.info(line);
    seen = { chat: stats.streams.chat.evictions, editor: stats.streams.editor.evictions };
  });
  return {
    dispose: () => {
      onState.dispose();
      onStats.dispose();
    },
  };
}

export function describeState(state: EngineState, loadMs: number): string | undefined {
  switch (state.kind) {
    case 'starting':
      return 'loading the model';
    case 'ready': {
      const { model } = state;
      const threads =
        model.decodeThreads === undefined
          ? 'threads as set'
          : `${model.decodeThreads} thread${model.decodeThreads === 1 ? '' : 's'} for decode, ${model.prefillThreads ?? model.decodeThreads} for prefill`;
      return (
        `model ${model.name} loaded in ${loadMs} ms from ${model.dir}: ${model.interface} interface, ` +
        `${model.layers} layers, ${model.maxPositionEmbeddings} trained positions, ${threads}`
      );
    }
    case 'failed':
      return `the model could not be loaded: ${state.message}`;
    case 'restarting':
      return `engine restarting in ${state.delayMs} ms: ${state.reason}`;
    case 'stopped':
      return 'engine stopped';
    case 'idle':
      return undefined;
  }
}

/** One line per stream whose eviction count grew since `seen`. */
export function evictionLines(stats: EngineStats, seen: Record<StreamId, number>): string[] {
  const lines: string[] = [];
  for (const stream of Object.values(stats.streams)) {
    const fresh = stream.evictions - seen[stream.stream];
    if (fresh <= 0) continue;
    lines.push(
      `${stream.stream} stream: ${fresh} eviction${fresh === 1 ? '' : 's'} (${stream.evictions} in all, ` +
        `${stream.tokensEvicted} tokens evicted, last took ${stream.lastEvictionMs.toFixed(1)} ms); ` +
        `window ${stream.window}/${stream.windowCapacity}, ${stream.totalTokens} tokens streamed`,
    );
  }
  return lines;
}
