// What each engine in the side-by-side comparison reports for one prompt.

/** Process CPU time so far, ms (user + system, all threads). */
export const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
export interface PeerRun {
  /** Prompt tokens → first generated token, fresh cache (ms). */
  prefillMs: number;
  /** Wall time of each single-token step after the first token (ms). */
  stepMs: number[];
  /** CPU time (all threads of this process) per step after the first token: steadier than wall time under load. */
  stepCpuMs: number;
  /** Greedy tokens generated, end-of-sequence ignored. */
  ids: number[];
}

export interface Peer {
  name: string;
  /** Runs `prompt` and `steps` greedy decode steps after its first token, from an empty cache. */
  run(prompt: number[], steps: number): Promise<PeerRun>;
  dispose(): Promise<void>;
}
