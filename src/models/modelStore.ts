// Where downloaded models live: `{globalStorage}/models/{catalogue id}/` once complete (with
// the download manifest), `{globalStorage}/models/.partial/{id}/` while they grow. A folder
// counts as a model only when its manifest matches the catalogue entry and every file is there
// with its size. No `vscode` here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CatalogueEntry } from './catalogue';
import { DOWNLOAD_MANIFEST, type DownloadManifest } from './download';

export type EntryState =
  | { kind: 'installed'; dir: string; bytes: number }
  /** Some bytes arrived in an earlier attempt; choosing it again resumes. */
  | { kind: 'partial'; bytes: number }
  | { kind: 'absent' };

export class ModelStore {
  constructor(readonly root: string) {}

  folderOf(entry: CatalogueEntry): string {
    return join(this.root, entry.id);
  }

  stagingOf(entry: CatalogueEntry): string {
    return join(this.root, '.partial', entry.id);
  }

  state(entry: CatalogueEntry): EntryState {
    const dir = this.folderOf(entry);
    const manifest = readManifest(dir);
    if (manifest && manifest.repo === entry.repo && manifest.revision === entry.revision && sameFiles(manifest, entry)) {
      const complete = manifest.files.every((f) => sizeOf(join(dir, f.path)) === f.size);
      if (complete) return { kind: 'installed', dir, bytes: manifest.files.reduce((sum, f) => sum + f.size, 0) };
    }
    const bytes = folderBytes(this.stagingOf(entry));
    return bytes > 0 ? { kind: 'partial', bytes } : { kind: 'absent' };
  }

  /** Deletes a download: the model folder and any partial files. */
  async remove(entry: CatalogueEntry): Promise<void> {
    await rm(this.folderOf(entry), { recursive: true, force: true });
    await rm(this.stagingOf(entry), { recursive: true, force: true });
  }

  /** The catalogue entry a model directory setting points at, if it is one of the store's folders. */
  entryAt(dir: string, catalogue: readonly CatalogueEntry[]): CatalogueEntry | undefined {
    const wanted = resolve(dir);
    return catalogue.find((entry) => resolve(this.folderOf(entry)) === wanted);
  }
}

function readManifest(dir: string): DownloadManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, DOWNLOAD_MANIFEST), 'utf8')) as DownloadManifest;
  } catch {
    return undefined;
  }
}

function sameFiles(manifest: DownloadManifest, entry: CatalogueEntry): boolean {
  const listed = new Set(manifest.files.map((f) => f.path));
  return Array.isArray(manifest.files) && entry.files.every((f) => listed.has(f));
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const file = statSync(join(dir, name), { throwIfNoEntry: false });
    if (file?.isFile()) total += file.size;
  }
  return total;
}
