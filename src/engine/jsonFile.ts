import { existsSync, readFileSync } from 'node:fs';
import { EngineInputError } from './errors';

export type JsonObject = Record<string, unknown>;

/** Reads a JSON object from `path`; a missing, unreadable or non-object file is an input error naming the file. */
export function readJsonObject(path: string, what: string): JsonObject {
  if (!existsSync(path)) throw new EngineInputError(`${what} not found: ${path}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EngineInputError(`${what} is not valid JSON (${path}): ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EngineInputError(`${what} must hold a JSON object: ${path}`);
  }
  return parsed as JsonObject;
}

export function optionalNumber(obj: JsonObject, key: string, file: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EngineInputError(`"${key}" in ${file} must be a number, found ${JSON.stringify(value)}`);
  }
  return value;
}

export function requiredInt(obj: JsonObject, key: string, file: string): number {
  const value = optionalNumber(obj, key, file);
  if (value === undefined) throw new EngineInputError(`"${key}" is missing from ${file}`);
  if (!Number.isInteger(value) || value <= 0) {
    throw new EngineInputError(`"${key}" in ${file} must be a positive integer, found ${value}`);
  }
  return value;
}
