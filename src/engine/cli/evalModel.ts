// What `ppl` and `check-cache` share: the model, its tokenizer and decoder, a cache shape that
// passes the same checks as `generate`, and the text file's ids, read a piece at a time.
import { checkTrainedPositions } from '../cacheShape';
import type { Decoder } from '../decoder';
import { loadDecoder } from '../engine';
import { EngineInputError } from '../errors';
import { loadModelDir, type ModelDir } from '../modelDir';
import { defaultModelDir } from '../packageRoot';
import type { CacheMode } from '../protocol';
import { TextTokenizer } from '../tokenizer';
import { cacheShapeArgs, threadsArg, type Values } from './args';
import { readTextPieces } from './textPieces';

export interface EvalModel {
  model: ModelDir;
  tokenizer: TextTokenizer;
  decoder: Decoder;
  sinks: number;
  window: number;
}

export async function loadEvalModel(values: Values, mode: CacheMode): Promise<EvalModel> {
  if (!values.text) throw new EngineInputError('--text FILE is required');
  const model = loadModelDir(values.model ?? defaultModelDir(), values.onnx);
  const { sinks, window } = cacheShapeArgs(values, mode, model.arch.maxPositionEmbeddings);
  const threads = threadsArg(values);
  checkTrainedPositions(model.arch, model.dir, { mode, sinks, window });
  const tokenizer = new TextTokenizer(model);
  const decoder = await loadDecoder(model, threads, (mode === 'sink' ? sinks : 0) + window);
  return { model, tokenizer, decoder, sinks, window };
}

/**
 * The ids of `--text FILE`, one piece at a time, the first starting with the sink token.
 * `onPiece` hears how far the file has been read, for a progress line.
 */
export async function* textIds(
  values: Values,
  tokenizer: TextTokenizer,
  onPiece: (bytesRead: number, totalBytes: number) => void = () => {},
): AsyncGenerator<number[], void, void> {
  const path = values.text!;
  const sink = tokenizer.special.sink;
  let first = true;
  const warn = (from: number, to: number) =>
    process.stderr.write(`endless: warning: --text ${path} is not valid UTF-8 (the first bad byte is between offsets ${from} and ${to}); bad bytes are read as U+FFFD\n`);
  for await (const piece of readTextPieces(path, '--text', warn)) {
    const ids = tokenizer.encodeText(piece.text);
    if (first && sink !== undefined) ids.unshift(sink);
    first = false;
    onPiece(piece.bytesRead, piece.totalBytes);
    yield ids;
  }
}
