// Whether a folder holds a model Endless can run, asked of the engine itself before the folder
// is used: first its loader reads config.json and the tokenizer on this thread (fast, and
// names a missing or wrong file at once), then a separate worker loads the graph, checks its
// contract and runs a probe step, exactly as the engine will. The running engine is not
// touched, so a refused folder leaves the current model working. No `vscode` here.
import { EngineClient } from '../host/engineClient';
import { loadModelDir } from '../engine/modelDir';
import type { EngineConfig, ModelInfo } from '../engine/protocol';

export type ModelCheck = { ok: true; model: ModelInfo } | { ok: false; reason: string };

export async function checkModelFolder(dir: string, workerPath: string, config: EngineConfig): Promise<ModelCheck> {
  try {
    loadModelDir(dir);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const probe = new EngineClient(workerPath, { ...config, modelDir: dir });
  try {
    return { ok: true, model: await probe.whenReady() };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await probe.dispose();
  }
}
