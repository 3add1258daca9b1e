// Downloads the files of one model from a Hugging Face endpoint into a folder, so that the
// folder exists only once every file is complete and verified:
//  - each file grows as `{path}.partial` in a staging folder, and is renamed to `{path}` only
//    after its size and hash match what the Hub's tree API lists;
//  - a dropped connection resumes with an HTTP Range request where the partial file ends, a
//    few times with backoff; a cancelled or failed download leaves the partial files, and the
//    next attempt resumes them;
//  - a file whose hash does not match is deleted and the download fails, naming it;
//  - free disk space is checked before the first byte;
//  - the staging folder becomes the model folder by one rename.
// No `vscode` here: tests drive it with Node alone against a local server.
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HUB_DEFAULTS } from './defaults';
import { FileHash } from './fileHash';
import { describeError, type HubClient, type HubFile } from './hubClient';
import { HubError } from './hubErrors';
import { formatBytes, SpeedMeter } from './progressMeter';

/** Written into a finished model folder: what it holds and where it came from. */
export const DOWNLOAD_MANIFEST = 'endless-download.json';

export interface DownloadManifest {
  repo: string;
  revision: string;
  files: HubFile[];
  completedAt: string;
}

export interface DownloadProgress {
  /** The file being transferred. */
  file: string;
  receivedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
}

export interface DownloadRequest {
  hub: HubClient;
  repo: string;
  revision: string;
  /** Paths in the repository, e.g. `config.json`, `onnx/model_q4.onnx`. */
  files: readonly string[];
  /** The model folder; it appears only once every file is verified. */
  targetDir: string;
  /** Where files grow; kept after a failure or cancel so that the next attempt resumes. */
  stagingDir: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Free bytes on the disk holding `dir` (tests replace it). */
  freeBytes?: (dir: string) => Promise<number>;
  retries?: number;
  retryDelayMs?: number;
  stallTimeoutMs?: number;
}

export async function downloadModel(request: DownloadRequest): Promise<DownloadManifest> {
  const { hub, repo, revision, stagingDir, signal } = request;
  const files = await hub.describe(repo, revision, request.files, signal);
  await mkdir(stagingDir, { recursive: true });

  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const present = await Promise.all(files.map((f) => bytesOnDisk(join(stagingDir, f.path), f.size)));
  const needed = totalBytes - present.reduce((a, b) => a + b, 0);
  const free = await (request.freeBytes ?? freeBytesOnDisk)(stagingDir);
  const margin = HUB_DEFAULTS.diskMarginBytes;
  if (needed + margin > free) {
    throw new HubError(
      `Not enough disk space: ${repo} needs ${formatBytes(needed)} more (plus ${formatBytes(margin)} to spare) in ${stagingDir}, ` +
        `but only ${formatBytes(free)} is free. Free some space and try again.`,
      'disk',
    );
  }

  const tracker = new Tracker(totalBytes, request.onProgress);
  for (const file of files) await fetchFile(request, file, tracker);

  const manifest: DownloadManifest = { repo, revision, files, completedAt: new Date().toISOString() };
  await writeFile(join(stagingDir, DOWNLOAD_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  await replaceFolder(stagingDir, request.targetDir);
  return manifest;
}

/** Counts bytes for progress: whole files done, plus the one being transferred. */
class Tracker {
  private done = 0;
  private current = 0;
  private file = '';
  private lastReport = 0;
  private readonly meter = new SpeedMeter();

  constructor(
    private readonly totalBytes: number,
    private readonly onProgress?: (progress: DownloadProgress) => void,
  ) {}

  startFile(path: string, alreadyThere: number): void {
    this.file = path;
    this.current = alreadyThere;
    this.report(true);
  }

  received(bytes: number): void {
    this.current += bytes;
    this.meter.add(bytes);
    this.report(false);
  }

  /** The server sent the whole file again: what was counted for it does not count. */
  restartFile(): void {
    this.current = 0;
  }

  finishFile(size: number): void {
    this.done += size;
    this.current = 0;
    this.report(true);
  }

  private report(force: boolean): void {
    const now = Date.now();
    if (!this.onProgress || (!force && now - this.lastReport < 1000 / HUB_DEFAULTS.progressPerSecond)) return;
    this.lastReport = now;
    this.onProgress({ file: this.file, receivedBytes: this.done + this.current, totalBytes: this.totalBytes, bytesPerSecond: this.meter.rate(now) });
  }
}

async function fetchFile(request: DownloadRequest, file: HubFile, tracker: Tracker): Promise<void> {
  const finalPath = join(request.stagingDir, file.path);
  const partialPath = `${finalPath}.partial`;
  // A file without `.partial` was renamed only after it was verified.
  if ((await bytesOnDisk(finalPath, file.size)) === file.size) {
    tracker.finishFile(file.size);
    return;
  }
  await mkdir(dirname(finalPath), { recursive: true });
  let have = await sizeOf(partialPath);
  if (have > file.size) {
    await rm(partialPath, { force: true });
    have = 0;
  }
  const hash = new FileHash(file);
  if (have > 0) await hash.updateFromFile(partialPath);
  tracker.startFile(file.path, have);

  const retries = request.retries ?? HUB_DEFAULTS.retries;
  for (let attempt = 0; have < file.size; attempt++) {
    try {
      have = await transfer(request, file, partialPath, have, hash, tracker);
      if (have < file.size) throw new Error(`the connection closed after ${have} of ${file.size} bytes`);
    } catch (error) {
      if (request.signal?.aborted) {
        throw new HubError(`The download was cancelled; ${formatBytes(have)} of ${file.path} is kept to resume.`, 'cancelled');
      }
      if (error instanceof HubError && error.kind !== 'offline' && error.kind !== 'http') throw error;
      if (attempt >= retries) {
        throw new HubError(
          `The connection to ${request.hub.endpoint} kept dropping while downloading ${file.path} (${describeError(error)}). ` +
            `${formatBytes(have)} is kept; choose the model again to resume.`,
          'offline',
        );
      }
      await sleep((request.retryDelayMs ?? HUB_DEFAULTS.retryDelayMs) * 2 ** attempt, request.signal);
      have = await sizeOf(partialPath);
    }
  }
  const mismatch = hash.mismatch();
  if (mismatch) {
    await rm(partialPath, { force: true });
    throw new HubError(`${file.path} of ${request.repo} arrived corrupted: ${mismatch}. The partial file was deleted; try the download again.`, 'integrity');
  }
  await rename(partialPath, finalPath);
  tracker.finishFile(file.size);
}

/** One request: appends to the partial file from `have` on; returns the bytes it now holds. */
async function transfer(request: DownloadRequest, file: HubFile, partialPath: string, have: number, hash: FileHash, tracker: Tracker): Promise<number> {
  const stall = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal;
  const stallMs = request.stallTimeoutMs ?? HUB_DEFAULTS.stallTimeoutMs;
  let timer = setTimeout(() => stall.abort(), stallMs);
  const handle = await open(partialPath, have > 0 ? 'a' : 'w');
  try {
    const response = await request.hub.open(request.repo, request.revision, file.path, have, signal);
    if (have > 0 && response.status !== 206) {
      // The server ignored the Range header and sends the whole file: start over.
      await handle.truncate(0);
      hash.reset();
      tracker.restartFile();
      have = 0;
    } else if (have > 0) {
      const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== have) throw new HubError(`${file.path}: the server resumed at byte ${start ?? '?'} instead of ${have}`, 'http');
    }
    if (!response.body) throw new HubError(`${file.path}: the server sent no content`, 'http');
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), stallMs);
      if (have + chunk.byteLength > file.size) {
        await handle.close().catch(() => undefined);
        await rm(partialPath, { force: true });
        throw new HubError(`${file.path} of ${request.repo} is larger than the ${file.size} bytes the Hub lists; the partial file was deleted.`, 'integrity');
      }
      await handle.write(chunk);
      hash.update(chunk);
      have += chunk.byteLength;
      tracker.received(chunk.byteLength);
    }
    return have;
  } catch (error) {
    if (stall.signal.aborted && !request.signal?.aborted) throw new Error(`no data for ${stallMs / 1000} s`);
    throw error;
  } finally {
    clearTimeout(timer);
    await handle.close().catch(() => undefined);
  }
}

/** Makes `staging` the folder at `target`, replacing an older download there. */
async function replaceFolder(staging: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  if (existsSync(target)) {
    const old = `${target}.old-${process.pid}-${Date.now()}`;
    await rename(target, old);
    await rename(staging, target);
    await rm(old, { recursive: true, force: true });
    return;
  }
  await rename(staging, target);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Bytes of a file already downloaded: the verified file, else its partial. */
async function bytesOnDisk(path: string, size: number): Promise<number> {
  const whole = await sizeOf(path);
  if (whole === size) return size;
  return Math.min(size, await sizeOf(`${path}.partial`));
}

export async function freeBytesOnDisk(dir: string): Promise<number> {
  const info = await statfs(dir);
  return Number(info.bavail) * Number(info.bsize);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
