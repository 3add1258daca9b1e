// A GGUF (version 3) file writer: typed metadata, then tensor infos, then the tensors' bytes
// aligned to `general.alignment`. Layout as documented in ggml's docs/gguf.md: every integer
// little-endian, strings as a uint64 length and UTF-8 bytes, tensor dims innermost first.
import { closeSync, openSync, writeSync } from 'node:fs';

/** ggml tensor types used here, with their bytes per block and elements per block. */
export const GGML = {
  F32: { id: 0, blockBytes: 4, blockElems: 1 },
  F16: { id: 1, blockBytes: 2, blockElems: 1 },
  Q4_0: { id: 2, blockBytes: 18, blockElems: 32 },
} as const;
export type GgmlType = (typeof GGML)[keyof typeof GGML];

const enum Kind {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

export type MetaValue =
  | { u32: number }
  | { i32: number }
  | { f32: number }
  | { bool: boolean }
  | { string: string }
  | { strings: string[] }
  | { i32s: number[] };

export interface GgufTensor {
  name: string;
  /** Dimensions innermost first (ggml's ne[]): a [rows, cols] matrix is [cols, rows]. */
  dims: number[];
  type: GgmlType;
  data: Uint8Array;
}

const ALIGNMENT = 32;

class Bytes {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(out: Bytes, value: MetaValue): void {
  if ('u32' in value) (out.u32(Kind.U32), out.u32(value.u32));
  else if ('i32' in value) (out.u32(Kind.I32), out.i32(value.i32));
  else if ('f32' in value) (out.u32(Kind.F32), out.f32(value.f32));
  else if ('bool' in value) (out.u32(Kind.Bool), out.push(Buffer.from([value.bool ? 1 : 0])));
  else if ('string' in value) (out.u32(Kind.String), out.str(value.string));
  else if ('strings' in value) {
    out.u32(Kind.Array);
    out.u32(Kind.String);
    out.u64(value.strings.length);
    for (const s of value.strings) out.str(s);
  } else {
    out.u32(Kind.Array);
    out.u32(Kind.I32);
    out.u64(value.i32s.length);
    for (const v of value.i32s) out.i32(v);
  }
}

const pad = (n: number) => (ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT;

export function writeGguf(path: string, metadata: Record<string, MetaValue>, tensors: GgufTensor[]): void {
  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(tensors.length);
  const entries = Object.entries({ 'general.alignment': { u32: ALIGNMENT }, ...metadata });
  head.u64(entries.length);
  for (const [key, value] of entries) {
    head.str(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    const elems = t.dims.reduce((a, b) => a * b, 1);
    const expected = (elems / t.type.blockElems) * t.type.blockBytes;
    if (t.dims[0] % t.type.blockElems !== 0 || t.data.length !== expected) {
      throw new Error(`tensor ${t.name}: ${t.data.length} bytes for dims [${t.dims}] of type ${t.type.id}, expected ${expected}`);
    }
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type.id);
    head.u64(offset);
    offset += t.data.length + pad(t.data.length);
  }
  head.push(Buffer.alloc(pad(head.length)));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head.concat());
    for (const t of tensors) {
      writeSync(fd, t.data);
      writeSync(fd, Buffer.alloc(pad(t.data.length)));
    }
  } finally {
    closeSync(fd);
  }
}
