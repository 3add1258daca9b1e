// A model directory in the Hugging Face layout: config.json (architecture), tokenizer.json,
// tokenizer_config.json, optional generation_config.json and chat_template.jinja, and onnx/*.onnx.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EngineInputError } from './errors';
import { type JsonObject, optionalNumber, readJsonObject, requiredInt } from './jsonFile';
import { positionLimit } from './positionLimit';
import { type Rotary, rotaryLayout } from './rope';

export interface ModelArch {
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /**
   * Positions a cache may use: max_position_embeddings, or less where the model's sliding
   * window or rope scaling bounds them (positionLimit.ts; `positionLimitReason` says why).
   */
  maxPositionEmbeddings: number;
  positionLimitReason?: string;
  /** The rotary embedding of each layer, for re-rotating its cached keys. */
  rotaryByLayer: Rotary[];
  bosTokenId?: number;
  eosTokenIds: number[];
}

export interface ModelDir {
  dir: string;
  name: string;
  arch: ModelArch;
  onnxPath: string;
  tokenizerJson: JsonObject;
  tokenizerConfig: JsonObject;
  generationConfig: JsonObject;
}

// Architectures whose rotary embedding is not rotate-half (or that have none): their cached
// keys cannot be re-rotated with the rule in rope.ts.
const UNSUPPORTED_MODEL_TYPES: Record<string, string> = {
  gptj: 'interleaved rotary embeddings',
  codegen: 'interleaved rotary embeddings',
  chatglm: 'interleaved rotary embeddings',
  gpt2: 'learned absolute positions',
  gpt_bigcode: 'learned absolute positions',
  opt: 'learned absolute positions',
  bloom: 'ALiBi positions',
  mpt: 'ALiBi positions',
  falcon: 'ALiBi or parallel rotary variants',
};

/**
 * Loads a model directory. `onnxFile` picks one graph of onnx/ by file name (a folder may hold
 * several precisions: model.onnx, model_fp16.onnx, model_q4.onnx…); by default model.onnx.
 */
export function loadModelDir(dirArg: string, onnxFile?: string): ModelDir {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineInputError(
      `model directory not found: ${dir} (expected config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx)`,
    );
  }
  const configFile = join(dir, 'config.json');
  const config = readJsonObject(configFile, 'model config');
  const arch = readArch(config, configFile);
  const tokenizerJson = readJsonObject(join(dir, 'tokenizer.json'), 'tokenizer');
  const tokenizerConfigPath = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = withTemplateFile(readJsonObject(tokenizerConfigPath, 'tokenizer config'), dir);
  const generationPath = join(dir, 'generation_config.json');
  const generationConfig = existsSync(generationPath) ? readJsonObject(generationPath, 'generation config') : {};
  checkVocabularyFits(tokenizerJson, arch.vocabSize, dir);
  return {
    dir,
    name: typeof config._name_or_path === 'string' && config._name_or_path ? basename(config._name_or_path) : basename(dir),
    arch,
    onnxPath: findOnnx(dir, onnxFile),
    tokenizerJson,
    tokenizerConfig,
    generationConfig,
  };
}

export function readArch(config: JsonObject, file: string): ModelArch {
  const modelType = typeof config.model_type === 'string' ? config.model_type : 'llama';
  const unsupported = UNSUPPORTED_MODEL_TYPES[modelType];
  if (unsupported) {
    throw new EngineInputError(
      `model_type "${modelType}" in ${file} uses ${unsupported}; Endless needs rotate-half RoPE (Llama, Qwen2, Mistral, Phi-3, SmolLM…)`,
    );
  }
  const heads = requiredInt(config, 'num_attention_heads', file);
  const kvHeads = optionalNumber(config, 'num_key_value_heads', file) ?? heads;
  if (!Number.isInteger(kvHeads) || kvHeads <= 0 || heads % kvHeads !== 0) {
    throw new EngineInputError(`num_key_value_heads ${kvHeads} in ${file} must divide num_attention_heads ${heads}`);
  }
  let headDim = optionalNumber(config, 'head_dim', file);
  if (headDim === undefined) {
    const hidden = requiredInt(config, 'hidden_size', file);
    if (hidden % heads !== 0) {
      throw new EngineInputError(`hidden_size ${hidden} in ${file} is not a multiple of num_attention_heads ${heads}`);
    }
    headDim = hidden / heads;
  }
  if (!Number.isInteger(headDim) || headDim <= 0) {
    throw new EngineInputError(`head_dim in ${file} must be a positive integer, found ${headDim}`);
  }
  const layers = requiredInt(config, 'num_hidden_layers', file);
  const rope = rotaryLayout(config, headDim, layers, file);
  const limit = positionLimit(config, file, layers, rope);
  return {
    modelType,
    layers,
    heads,
    kvHeads,
    headDim,
    vocabSize: requiredInt(config, 'vocab_size', file),
    maxPositionEmbeddings: limit.positions,
    positionLimitReason: limit.reason,
    rotaryByLayer: rope.byLayer,
    bosTokenId: optionalId(config.bos_token_id),
    eosTokenIds: idList(config.eos_token_id),
  };
}

/**
 * Newer exports keep the chat template in chat_template.jinja beside tokenizer_config.json;
 * as in `transformers`, the file wins over a template inside the config.
 */
function withTemplateFile(tokenizerConfig: JsonObject, dir: string): JsonObject {
  const file = join(dir, 'chat_template.jinja');
  if (!existsSync(file)) return tokenizerConfig;
  return { ...tokenizerConfig, chat_template: readFileSync(file, 'utf8') };
}

function optionalId(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function idList(value: unknown): number[] {
  if (Array.isArray(value)) return value.filter((v): v is number => optionalId(v) !== undefined);
  const one = optionalId(value);
  return one === undefined ? [] : [one];
}

function findOnnx(dir: string, file?: string): string {
  const onnxDir = join(dir, 'onnx');
  const candidates = existsSync(onnxDir) ? readdirSync(onnxDir).filter((f) => f.endsWith('.onnx')).sort() : [];
  if (candidates.length === 0) {
    throw new EngineInputError(`no ONNX graph in ${onnxDir} (expected onnx/model.onnx)`);
  }
  if (file !== undefined) {
    if (!candidates.includes(file)) {
      throw new EngineInputError(`no graph named ${JSON.stringify(file)} in ${onnxDir}; it holds ${candidates.join(', ')}`);
    }
    return join(onnxDir, file);
  }
  // A directory may hold several precisions; the plain export is the reference.
  const chosen = candidates.includes('model.onnx') ? 'model.onnx' : candidates[0];
  return join(onnxDir, chosen);
}

/** Every id the tokenizer can produce must index a row of the model's output. */
function checkVocabularyFits(tokenizerJson: JsonObject, vocabSize: number, dir: string): void {
  let maxId = -1;
  const model = tokenizerJson.model as JsonObject | undefined;
  const vocab = model?.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > maxId) maxId = id;
  } else if (Array.isArray(vocab)) {
    maxId = vocab.length - 1;
  } else {
    throw new EngineInputError(`tokenizer.json in ${dir} has no model.vocab`);
  }
  const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as JsonObject[]) : [];
  for (const token of added) if (typeof token.id === 'number' && token.id > maxId) maxId = token.id;
  if (maxId >= vocabSize) {
    throw new EngineInputError(
      `the tokenizer in ${dir} has token ids up to ${maxId}, but config.json says vocab_size ${vocabSize}: the tokenizer does not belong to this model`,
    );
  }
}
