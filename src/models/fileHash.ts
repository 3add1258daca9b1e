// The hash a downloaded file must have: the sha256 the Hub lists for LFS files, or the git blob
// id (sha1 over "blob {size}\0" and the content) for small files kept in git itself.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { HubFile } from './hubClient';

export class FileHash {
  private hash: Hash;

  constructor(private readonly file: HubFile) {
    this.hash = FileHash.start(file);
  }

  private static start(file: HubFile): Hash {
    if (file.sha256) return createHash('sha256');
    const hash = createHash('sha1');
    hash.update(`blob ${file.size}\0`);
    return hash;
  }

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  /** Starts over (the server sent the whole file again instead of the rest). */
  reset(): void {
    this.hash = FileHash.start(this.file);
  }

  /** Feeds what is already on disk, for a resumed download. */
  async updateFromFile(path: string): Promise<void> {
    for await (const chunk of createReadStream(path)) this.update(chunk as Buffer);
  }

  /** Undefined when the content matches, else a sentence naming both hashes. */
  mismatch(): string | undefined {
    const actual = this.hash.digest('hex');
    const expected = this.file.sha256 ?? this.file.gitOid;
    if (actual === expected) return undefined;
    return `its ${this.file.sha256 ? 'sha256' : 'git blob id'} is ${actual}, the Hub lists ${expected}`;
  }
}
