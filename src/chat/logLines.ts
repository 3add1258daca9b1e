// Reading a JSON-lines file from its end, a chunk at a time: restoring a chat and paging back
// through it cost what is read, never the size of the file.
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;

/**
 * Calls `visit` with each complete line of `path` ending at or before byte `end`, newest first,
 * with the byte offset where the line starts; stops when `visit` returns false. A last line
 * without its newline (a write torn by a crash) is passed with `torn` set.
 */
export function readLinesBackward(
  path: string,
  end: number,
  visit: (line: string, start: number, torn: boolean) => boolean,
): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    if (end <= 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, end - 1);
    // Every complete line ends in a newline; the first line met is torn when the file does not.
    let torn = last[0] !== 0x0a;
    let position = torn ? end : end - 1;
    // Pieces of the line being assembled, newest first.
    let pieces: Buffer[] = [];
    const emit = (head: Buffer, start: number): boolean => {
      const text = Buffer.concat([head, ...pieces.reverse()]).toString('utf8');
      pieces = [];
      const wasTorn = torn;
      torn = false;
      return text.length === 0 || visit(text, start, wasTorn);
    };
    while (position > 0) {
      const size = Math.min(CHUNK, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      readSync(fd, chunk, 0, size, position);
      let stop = size;
      for (let i = size - 1; i >= 0; i--) {
        if (chunk[i] !== 0x0a) continue;
        if (!emit(chunk.subarray(i + 1, stop), position + i + 1)) return;
        stop = i;
      }
      pieces.push(chunk.subarray(0, stop));
    }
    emit(Buffer.alloc(0), 0);
  } finally {
    closeSync(fd);
  }
}
