// A local stand-in for the Hugging Face Hub, for tests: it serves the two endpoints a download
// uses, in the Hub's shapes, from files in memory, plus a second server playing the CDN that
// LFS files redirect to (another origin, as on the real Hub):
//   GET /api/models/{owner}/{name}/tree/{revision}[/{dir}]  entries with size, oid and lfs {oid, size}
//   GET /{owner}/{name}/resolve/{revision}/{path}           git files directly, LFS files by a 302
// It can misbehave on purpose (a dropped connection, a corrupt file, a server that ignores
// Range, slow transfer) and records every request so tests can see what was asked.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface FakeRepo {
  revision: string;
  /** Path in the repository → content. */
  files: Map<string, Buffer>;
  /** When set, every request for this repository must carry `Authorization: Bearer {token}`. */
  token?: string;
}

export interface Faults {
  /** The next `times` transfers of `path` stop (the socket is destroyed) after sending `bytes` bytes. */
  drop?: { path: string; bytes: number; times: number };
  /** Paths served with one byte changed (the listing still shows the true hash). */
  corrupt?: Set<string>;
  /** Answer Range requests with the whole file (200), as some servers do. */
  ignoreRange?: boolean;
  /** Bytes per second per transfer; unlimited when unset. */
  bytesPerSecond?: number;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

/** Files stored in LFS on the Hub (weights); the rest are plain git files. */
const isLfs = (path: string) => /\.onnx(_data)?$|\.onnx\.data$/.test(path);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitOid = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/** The files of a model folder on disk, by path relative to it ("onnx/model.onnx"). */
export function folderFiles(dir: string, rename: Record<string, string> = {}): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = join(dir, name);
    if (!statSync(full).isFile()) continue;
    const path = relative(dir, full).split('\\').join('/');
    files.set(rename[path] ?? path, readFileSync(full));
  }
  return files;
}

export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly faults: Faults = {};
  readonly requests: LoggedRequest[] = [];
  private hub: Server | undefined;
  private cdn: Server | undefined;
  url = '';
  private cdnUrl = '';

  async start(): Promise<string> {
    this.hub = createServer((req, res) => this.serveHub(req, res));
    this.cdn = createServer((req, res) => this.serveCdn(req, res));
    this.url = `http://127.0.0.1:${await listen(this.hub)}`;
    this.cdnUrl = `http://127.0.0.1:${await listen(this.cdn)}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Requests for `path` (a suffix of the URL path), in order. */
  requestsFor(path: string): LoggedRequest[] {
    return this.requests.filter((r) => decodeURIComponent(new URL(r.url, 'http://x').pathname).endsWith(path) || new URL(r.url, 'http://x').searchParams.get('path') === path);
  }

  private log(server: 'hub' | 'cdn', req: IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? 'GET', url: req.url ?? '', range: header(req, 'range'), authorization: header(req, 'authorization') });
  }

  private serveHub(req: IncomingMessage, res: ServerResponse): void {
    this.log('hub', req);
    const path = decodeURIComponent(new URL(req.url ?? '/', this.url).pathname);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const match = tree ?? resolve;
    if (!match) return send(res, 404, 'Not Found');
    const repo = this.repos.get(match[1]);
    // Like the Hub: a repository that does not exist and one the caller may not see look alike.
    if (!repo) return send(res, 401, JSON.stringify({ error: 'Repository not found' }), 'application/json');
    if (repo.token && header(req, 'authorization') !== `Bearer ${repo.token}`) {
      return send(res, 401, JSON.stringify({ error: 'Access to this model is restricted' }), 'application/json');
    }
    if (match[2] !== repo.revision && match[2] !== 'main') return send(res, 404, JSON.stringify({ error: 'Revision not found' }), 'application/json');
    if (tree) return this.listTree(res, repo, tree[3] ?? '');
    const file = repo.files.get(resolve![3]);
    if (!file) return send(res, 404, JSON.stringify({ error: 'Entry not found' }), 'application/json');
    if (isLfs(resolve![3])) {
      res.writeHead(302, { Location: `${this.cdnUrl}/lfs/${sha256(file)}?repo=${encodeURIComponent(match[1])}&path=${encodeURIComponent(resolve![3])}` });
      return void res.end();
    }
    this.sendFile(req, res, resolve![3], file);
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    this.log('cdn', req);
    const url = new URL(req.url ?? '/', this.cdnUrl);
    const repo = this.repos.get(url.searchParams.get('repo') ?? '');
    const path = url.searchParams.get('path') ?? '';
    const file = repo?.files.get(path);
    if (!file || url.pathname !== `/lfs/${sha256(file)}`) return send(res, 404, 'NoSuchKey');
    this.sendFile(req, res, path, file);
  }

  private listTree(res: ServerResponse, repo: FakeRepo, dir: string): void {
    const prefix = dir ? `${dir}/` : '';
    const entries: object[] = [];
    const dirs = new Set<string>();
    for (const [path, bytes] of repo.files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      if (rest.includes('/')) {
        dirs.add(prefix + rest.slice(0, rest.indexOf('/')));
        continue;
      }
      const lfs = isLfs(path) ? { oid: sha256(bytes), size: bytes.length, pointerSize: 134 } : undefined;
      // An LFS file's `oid` is the pointer's blob id and its `size` the file's; only lfs.oid hashes the content.
      entries.push({ type: 'file', oid: lfs ? gitOid(Buffer.from(`pointer ${lfs.oid}`)) : gitOid(bytes), size: bytes.length, path, ...(lfs ? { lfs } : {}) });
    }
    if (entries.length === 0 && dirs.size === 0) return send(res, 404, JSON.stringify({ error: 'Entry not found' }), 'application/json');
    for (const d of dirs) entries.unshift({ type: 'directory', oid: gitOid(Buffer.from(d)), size: 0, path: d });
    send(res, 200, JSON.stringify(entries), 'application/json');
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, path: string, original: Buffer): void {
    let bytes = original;
    if (this.faults.corrupt?.has(path)) {
      bytes = Buffer.from(original);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(header(req, 'range') ?? '');
    let start = 0;
    if (range && !this.faults.ignoreRange) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        return void res.end();
      }
      res.writeHead(206, { 'Content-Length': bytes.length - start, 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': bytes.length, 'Accept-Ranges': 'bytes' });
    }
    const drop = this.faults.drop;
    let stopAt = bytes.length;
    if (drop && drop.path === path && drop.times > 0 && start + drop.bytes < bytes.length) {
      drop.times--;
      stopAt = start + drop.bytes;
    }
    void this.stream(res, bytes.subarray(start, stopAt), stopAt < bytes.length);
  }

  private async stream(res: ServerResponse, bytes: Buffer, thenDrop: boolean): Promise<void> {
    const rate = this.faults.bytesPerSecond;
    const chunk = rate ? Math.max(1024, Math.floor(rate / 10)) : 64 * 1024;
    for (let at = 0; at < bytes.length && !res.destroyed; at += chunk) {
      const piece = bytes.subarray(at, at + chunk);
      if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
      if (rate) await new Promise((resolve) => setTimeout(resolve, (piece.length / rate) * 1000));
    }
    // Give the bytes written so far time to leave before the connection is cut.
    if (thenDrop) setTimeout(() => res.socket?.destroy(), 50);
    else res.end();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
