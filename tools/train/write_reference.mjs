// Writes the reference outputs of a streaming graph in the reference.json form that
// tools/export/verify_ort.mjs replays: the same token ids and positions as an existing
// reference (a 12-token prefill keeping 4 logits, then 3 tokens over its cache), run through
// onnxruntime-node on this machine. For a graph made without the training machine (e.g. by
// blend_onnx.py), so that later runs elsewhere can be compared with it.
//
//   node tools/train/write_reference.mjs MODEL_DIR INPUTS_FROM.json OUT.json
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
process.env.ORT_DISABLE_TELEMETRY = "1";
const ort = await import("onnxruntime-node");

const [dir, from, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node tools/train/write_reference.mjs MODEL_DIR INPUTS_FROM.json OUT.json");
  process.exit(2);
}

function toTensor({ type, dims, b64 }) {
  const buf = Buffer.from(b64, "base64");
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  return new ort.Tensor(type, type === "int64" ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer), dims);
}

function toJson(tensor) {
  const data = tensor.data;
  return { type: tensor.type, dims: [...tensor.dims], b64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") };
}

const reference = JSON.parse(readFileSync(from, "utf8"));
const [prefill, step] = reference.cases;
if (!prefill || !step || prefill.name !== "prefill-keep-4" || step.name !== "continue") {
  throw new Error(`${from} does not hold the two cases this script writes (prefill-keep-4, continue)`);
}
const session = await ort.InferenceSession.create(join(dir, "onnx", "model.onnx"));
const firstInputs = Object.fromEntries(Object.entries(prefill.inputs).map(([name, t]) => [name, toTensor(t)]));
const first = await session.run(firstInputs);
// The step's cache is this graph's own prefill, not the one the old reference recorded.
const stepInputs = {};
for (const [name, t] of Object.entries(step.inputs)) {
  const present = name.startsWith("past_") ? first[name.slice("past_".length)] : undefined;
  stepInputs[name] = present ?? toTensor(t);
}
const second = await session.run(stepInputs);
const cases = [
  { name: prefill.name, inputs: prefill.inputs, outputs: { logits: toJson(first.logits) } },
  {
    name: step.name,
    inputs: Object.fromEntries(Object.entries(stepInputs).map(([name, t]) => [name, toJson(t)])),
    outputs: Object.fromEntries(Object.keys(step.outputs).map((name) => [name, toJson(second[name])])),
  },
];
writeFileSync(out, `${JSON.stringify({ interface: reference.interface, source: "onnxruntime-node", cases }, null, 1)}\n`);
console.log(`wrote ${out}: ${cases.length} cases from ${dir}`);
