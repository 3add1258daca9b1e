// Reads a text file in pieces of a quarter megabyte, so that a text of any size streams through
// the model with bounded memory. Pieces end after a newline where there is one (a natural
// boundary for the tokenizer's pre-split), otherwise at a character boundary, so no UTF-8
// sequence is ever cut in two. Bytes that are not UTF-8 become U+FFFD and are reported once.
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { EngineInputError } from '../errors';

export interface TextPiece {
  text: string;
  /** Bytes of the file read so far, and its size. */
  bytesRead: number;
  totalBytes: number;
}

export const PIECE_BYTES = 256 << 10;

export async function* readTextPieces(
  path: string,
  label: string,
  /** Hears the byte range of the first piece that is not valid UTF-8. */
  onInvalidUtf8: (from: number, to: number) => void,
  pieceBytes = PIECE_BYTES,
): AsyncGenerator<TextPiece, void, void> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new EngineInputError(`cannot read ${label} ${path}: ${(err as Error).message}`);
  }
  try {
    const totalBytes = (await file.stat()).size;
    // What a piece leaves over is at most half of it, so a read of `pieceBytes` always fits.
    const buffer = Buffer.alloc(2 * pieceBytes);
    let carried = 0;
    let bytesRead = 0;
    let warned = false;
    let anyText = false;
    for (;;) {
      const { bytesRead: n } = await file.read(buffer, carried, pieceBytes, null);
      const end = carried + n;
      const last = n === 0;
      const cut = last ? end : pieceEnd(buffer, end);
      const bytes = buffer.subarray(0, cut);
      if (!warned && !isUtf8(bytes)) {
        warned = true;
        onInvalidUtf8(bytesRead, bytesRead + cut);
      }
      bytesRead += cut;
      const text = bytes.toString('utf8');
      if (text.trim().length > 0) anyText = true;
      if (text.length > 0) yield { text, bytesRead, totalBytes };
      if (last) break;
      buffer.copy(buffer, 0, cut, end);
      carried = end - cut;
    }
    if (!anyText) throw new EngineInputError(`${label} ${path} is empty: give it a file with text to stream`);
  } finally {
    await file.close();
  }
}

/** Where to end a piece of `buffer[0, end)`: after a newline in its second half, else before a partial character. */
function pieceEnd(buffer: Buffer, end: number): number {
  const newline = buffer.lastIndexOf(0x0a, end - 1);
  if (newline >= end / 2) return newline + 1;
  // No newline: back up over continuation bytes (10xxxxxx) to the start of the last character.
  let at = end;
  while (at > 0 && end - at < 4 && (buffer[at - 1] & 0xc0) === 0x80) at--;
  if (at > 0 && buffer[at - 1] >= 0xc0) return at - 1;
  return end;
}
