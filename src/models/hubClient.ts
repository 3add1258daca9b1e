// The two Hugging Face Hub endpoints a download needs, and nothing else:
//   GET {endpoint}/api/models/{repo}/tree/{revision}/{dir}   lists files with size and hashes
//   GET {endpoint}/{repo}/resolve/{revision}/{path}          the file (LFS files redirect to a CDN)
// A mirror serves the same paths. The token, when there is one, goes only to the endpoint:
// fetch drops the Authorization header when a redirect leaves for another origin.
// No `vscode` here: the download core is tested with Node alone.
import { HubError, isUnreachable } from './hubErrors';

/** One file of a repository at a revision, as the tree API lists it. */
export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content, for files stored in LFS (the Hub's `lfs.oid`). */
  sha256?: string;
  /** Git blob id (sha1 of "blob {size}\0" + content), for files stored in git itself. */
  gitOid?: string;
}

export interface HubOptions {
  /** e.g. https://huggingface.co, or a mirror; no trailing slash needed. */
  endpoint: string;
  token?: string;
}

interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

export class HubClient {
  readonly endpoint: string;

  constructor(private readonly options: HubOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
  }

  fileUrl(repo: string, revision: string, path: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  treeUrl(repo: string, revision: string, dir: string): string {
    const tail = dir ? `/${dir.split('/').map(encodeURIComponent).join('/')}` : '';
    return `${this.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}${tail}`;
  }

  /** Size and hash of each of `paths`; a path the repository lacks is an error naming it. */
  async describe(repo: string, revision: string, paths: readonly string[], signal?: AbortSignal): Promise<HubFile[]> {
    const dirs = [...new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '')))];
    const listed = new Map<string, HubFile>();
    for (const dir of dirs) {
      for (const file of await this.listDir(repo, revision, dir, signal)) listed.set(file.path, file);
    }
    const missing = paths.filter((p) => !listed.has(p));
    if (missing.length > 0) {
      throw new HubError(`${repo} at revision ${revision} has no ${missing.join(', ')} (${this.endpoint})`, 'notFound');
    }
    return paths.map((p) => listed.get(p)!);
  }

  /** Opens a file from byte `from` on (a Range request when `from` > 0). */
  async open(repo: string, revision: string, path: string, from: number, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (from > 0) headers.Range = `bytes=${from}-`;
    const response = await this.request(this.fileUrl(repo, revision, path), headers, signal, `${path} of ${repo}`);
    return response;
  }

  private async listDir(repo: string, revision: string, dir: string, signal?: AbortSignal): Promise<HubFile[]> {
    const url = this.treeUrl(repo, revision, dir);
    const response = await this.request(url, { Accept: 'application/json' }, signal, `the file list of ${repo}`);
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new HubError(`${url} did not answer with JSON: is ${this.endpoint} a Hugging Face endpoint or mirror?`, 'http');
    }
    if (!Array.isArray(body)) throw new HubError(`${url} did not answer with a file list`, 'http');
    const files: HubFile[] = [];
    for (const entry of body as TreeEntry[]) {
      if (entry.type !== 'file' || typeof entry.path !== 'string') continue;
      const lfs = entry.lfs && typeof entry.lfs === 'object' ? entry.lfs : undefined;
      const size = typeof lfs?.size === 'number' ? lfs.size : entry.size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new HubError(`${url} lists ${entry.path} without a valid size`, 'http');
      }
      const sha256 = typeof lfs?.oid === 'string' && SHA256.test(lfs.oid) ? lfs.oid : undefined;
      const gitOid = !lfs && typeof entry.oid === 'string' && SHA1.test(entry.oid) ? entry.oid : undefined;
      if (!sha256 && !gitOid) throw new HubError(`${url} lists ${entry.path} without a hash to verify it by`, 'http');
      files.push({ path: entry.path, size, ...(sha256 ? { sha256 } : {}), ...(gitOid ? { gitOid } : {}) });
    }
    return files;
  }

  private async request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, what: string): Promise<Response> {
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      if (signal?.aborted) throw new HubError('The download was cancelled.', 'cancelled');
      if (isUnreachable(error)) {
        throw new HubError(`Cannot reach ${new URL(url).origin}: this machine seems to be offline, or the endpoint is wrong.`, 'offline');
      }
      throw new HubError(`Fetching ${what} failed: ${describeError(error)}`, 'offline');
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => undefined);
    throw statusError(response.status, what, url, Boolean(this.options.token));
  }
}

function statusError(status: number, what: string, url: string, hadToken: boolean): HubError {
  if (status === 401 || status === 403) {
    // The Hub answers 401 for private and gated repositories and for ones that do not exist.
    return hadToken
      ? new HubError(`The Hub refused the access token for ${what} (HTTP ${status}): check that the token is valid and that its account may read this repository (gated models need their licence accepted on the model page).`, 'auth')
      : new HubError(`${what} needs a Hugging Face access token (HTTP ${status}), or the repository does not exist.`, 'auth');
  }
  if (status === 404) return new HubError(`${what} was not found (HTTP 404 at ${url}).`, 'notFound');
  if (status === 416) return new HubError(`The server could not resume ${what} (HTTP 416).`, 'http');
  return new HubError(`Fetching ${what} failed with HTTP ${status} (${url}).`, 'http');
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
