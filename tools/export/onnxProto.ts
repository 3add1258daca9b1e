// Just enough of the ONNX protobuf schema (onnx/onnx.proto) to read a graph's nodes and
// initializers without a protobuf library: the GGUF converter needs the weights and the
// wiring, nothing else. Field numbers are those of onnx.proto3.

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** TensorProto.DataType: 1 float, 2 uint8, 3 int8, 7 int64, 10 float16. */
  dataType: number;
  /** The tensor's bytes, little-endian, row-major. */
  raw: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  t?: OnnxTensor;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
}

type Field = { no: number; wire: number; value: bigint | Uint8Array };

/** Splits one message into its fields (wire types 0 varint, 1 fixed64, 2 bytes, 5 fixed32). */
function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, value: buf.subarray(at, at + len) };
      at += len;
    } else if (wire === 1) {
      yield { no, wire, value: buf.subarray(at, at + 8) };
      at += 8;
    } else if (wire === 5) {
      yield { no, wire, value: buf.subarray(at, at + 4) };
      at += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire} (field ${no}): not an ONNX model?`);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Packed or repeated varints (int64 dims, ints attributes). */
function varints(f: Field): number[] {
  if (typeof f.value === 'bigint') return [Number(BigInt.asIntN(64, f.value))];
  const out: number[] = [];
  for (const g of fields(prependKeys(f.value))) out.push(Number(BigInt.asIntN(64, g.value as bigint)));
  return out;
}

/** Re-frames a packed varint run as fields numbered 1, so `fields` can walk it. */
function prependKeys(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let at = 0;
  while (at < packed.length) {
    out.push(0x08);
    do out.push(packed[at]);
    while (packed[at++] >= 0x80);
  }
  return Uint8Array.from(out);
}

function tensor(buf: Uint8Array): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, raw: new Uint8Array(0) };
  const floats: number[] = [];
  const int32s: number[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) t.dims.push(...varints(f));
    else if (f.no === 2) t.dataType = Number(f.value);
    else if (f.no === 8) t.name = text(f.value as Uint8Array);
    else if (f.no === 9) t.raw = f.value as Uint8Array;
    else if (f.no === 4) {
      const b = f.value as Uint8Array;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < b.byteLength; i += 4) floats.push(view.getFloat32(i, true));
    } else if (f.no === 5) int32s.push(...varints(f));
    else if (f.no === 14 && Number(f.value) === 1) {
      throw new Error(`tensor ${t.name} keeps its data in an external file; give the converter a single-file model`);
    }
  }
  if (t.raw.length === 0 && floats.length > 0) t.raw = new Uint8Array(Float32Array.from(floats).buffer);
  // int32_data holds 8-bit tensors one value per element; other int32_data types are not needed here.
  if (t.raw.length === 0 && int32s.length > 0 && (t.dataType === 2 || t.dataType === 3)) t.raw = Uint8Array.from(int32s, (v) => v & 0xff);
  return t;
}

function attribute(buf: Uint8Array): OnnxAttribute {
  const a: OnnxAttribute = { name: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) a.name = text(f.value as Uint8Array);
    else if (f.no === 3) a.i = Number(BigInt.asIntN(64, f.value as bigint));
    else if (f.no === 2) a.f = new DataView((f.value as Uint8Array).buffer, (f.value as Uint8Array).byteOffset, 4).getFloat32(0, true);
    else if (f.no === 4) a.s = text(f.value as Uint8Array);
    else if (f.no === 5) a.t = tensor(f.value as Uint8Array);
    else if (f.no === 8) (a.ints ??= []).push(...varints(f));
  }
  return a;
}

function node(buf: Uint8Array): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(buf)) {
    if (f.no === 1) n.inputs.push(text(f.value as Uint8Array));
    else if (f.no === 2) n.outputs.push(text(f.value as Uint8Array));
    else if (f.no === 3) n.name = text(f.value as Uint8Array);
    else if (f.no === 4) n.opType = text(f.value as Uint8Array);
    else if (f.no === 7) n.domain = text(f.value as Uint8Array);
    else if (f.no === 5) {
      const a = attribute(f.value as Uint8Array);
      n.attributes.set(a.name, a);
    }
  }
  return n;
}

/** Reads ModelProto.graph (field 7): its nodes (1) and initializers (5); Constant nodes count as initializers. */
export function readOnnx(bytes: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], initializers: new Map() };
  for (const f of fields(bytes)) {
    if (f.no !== 7) continue;
    for (const g of fields(f.value as Uint8Array)) {
      if (g.no === 1) {
        const n = node(g.value as Uint8Array);
        const value = n.attributes.get('value')?.t;
        if (n.opType === 'Constant' && value) graph.initializers.set(n.outputs[0], { ...value, name: n.outputs[0] });
        else graph.nodes.push(n);
      } else if (g.no === 5) {
        const t = tensor(g.value as Uint8Array);
        graph.initializers.set(t.name, t);
      }
    }
  }
  if (graph.nodes.length === 0) throw new Error('no graph nodes found: not an ONNX model file');
  return graph;
}
