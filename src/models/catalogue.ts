// The curated models the picker offers for download (catalogue.json), checked when read so a
// bad entry fails the unit tests instead of a user's download.
import data from './catalogue.json';

export type SpeedClass = 'fast' | 'medium' | 'slow';

export interface CatalogueEntry {
  /** Also the name of its folder in the download store, so what the status bar shows. */
  id: string;
  name: string;
  /** owner/name on the Hub. */
  repo: string;
  /** A commit id: the files, and so their hashes, never change under it. */
  revision: string;
  /** Which ONNX export of the repository (q4: int4 weights, float32 activations and cache). */
  variant: string;
  /** Paths in the repository to download. */
  files: string[];
  /** Memory the model needs while it runs, in GB (an estimate). */
  ramGB: number;
  speed: SpeedClass;
  summary: string;
}

const SPEEDS: readonly SpeedClass[] = ['fast', 'medium', 'slow'];
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Checks raw catalogue data; throws naming the entry and the field that is wrong. */
export function parseCatalogue(raw: unknown): CatalogueEntry[] {
  const models = (raw as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new Error('catalogue: "models" must be a list');
  const ids = new Set<string>();
  return models.map((value, index) => {
    const entry = value as Partial<CatalogueEntry>;
    const where = `catalogue entry ${index} (${String(entry.id)})`;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`${where}: ${what}`);
    };
    check(typeof entry.id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(entry.id), 'id must be a folder-safe name');
    check(!ids.has(entry.id!), 'id is used twice');
    ids.add(entry.id!);
    check(typeof entry.name === 'string' && entry.name.length > 0, 'name is missing');
    check(typeof entry.repo === 'string' && /^[\w.-]+\/[\w.-]+$/.test(entry.repo), 'repo must be owner/name');
    check(typeof entry.revision === 'string' && /^[0-9a-f]{40}$/.test(entry.revision), 'revision must be a full commit id');
    check(typeof entry.variant === 'string' && entry.variant.length > 0, 'variant is missing');
    check(Array.isArray(entry.files) && entry.files.every((f) => typeof f === 'string' && !f.startsWith('/') && !f.split('/').includes('..')), 'files must be relative paths');
    for (const file of REQUIRED) check(entry.files!.includes(file), `files must include ${file}`);
    check(entry.files!.some((f) => /^onnx\/[^/]+\.onnx$/.test(f)), 'files must include an onnx/*.onnx graph');
    check(typeof entry.ramGB === 'number' && entry.ramGB > 0, 'ramGB must be a positive number');
    check(SPEEDS.includes(entry.speed as SpeedClass), `speed must be one of ${SPEEDS.join(', ')}`);
    check(typeof entry.summary === 'string', 'summary is missing');
    return entry as CatalogueEntry;
  });
}

export const CATALOGUE: readonly CatalogueEntry[] = parseCatalogue(data);
