// Replays a model directory's reference.json (inputs + reference outputs, written by
// make_fixtures.py or the training recipe) through onnxruntime-node and checks that every
// output matches; also loads tokenizer.json with @huggingface/tokenizers and checks that
// code and every special token round-trip.
//
//   node tools/export/verify_ort.mjs DIR[=REFERENCE.json] [...] [--tol 1e-4]
// (REFERENCE.json defaults to DIR/reference.json)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
// onnxruntime-node has telemetry on by default; the switch must be set before it loads.
process.env.ORT_DISABLE_TELEMETRY = "1";
const ort = await import("onnxruntime-node");

const args = process.argv.slice(2);
let tol = 1e-4;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--tol") tol = Number(args[++i]);
  else dirs.push(args[i]);
}
if (dirs.length === 0) {
  console.error("usage: node tools/export/verify_ort.mjs MODEL_DIR[=REFERENCE.json] [...] [--tol 1e-4]");
  process.exit(2);
}

function toTensor({ type, dims, b64 }) {
  const buf = Buffer.from(b64, "base64");
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = type === "int64" ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return new ort.Tensor(type, data, dims);
}

function maxAbsDiff(got, want) {
  if (got.dims.join() !== want.dims.join()) {
    throw new Error(`shape ${got.dims} but PyTorch gave ${want.dims}`);
  }
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(Number(got.data[i]) - Number(want.data[i]));
    if (!(d <= worst)) worst = d; // NaN propagates as a failure
  }
  return worst;
}

function checkTokenizer(dir) {
  const tj = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  const tc = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  const tok = new Tokenizer(tj, tc);
  const text = "function add(a, b) {\n  return a + b; // ünïcödé ✓\n}\n";
  const ids = tok.encode(text, { add_special_tokens: false }).ids;
  const back = tok.decode(ids, { clean_up_tokenization_spaces: false });
  if (back !== text) throw new Error(`tokenizer round trip changed the text: ${JSON.stringify(back)}`);
  for (const t of tj.added_tokens) {
    const got = tok.encode(`x${t.content}y`, { add_special_tokens: false }).ids;
    if (!got.includes(t.id)) throw new Error(`special token ${t.content} does not encode to its id ${t.id}`);
  }
  return `${ids.length} tokens for ${text.length} chars, ${tj.added_tokens.length} special tokens`;
}

let failed = false;
for (const arg of dirs) {
  const [dir, refPath = join(dir, "reference.json")] = arg.split("=");
  const ref = JSON.parse(readFileSync(refPath, "utf8"));
  const session = await ort.InferenceSession.create(join(dir, "onnx", "model.onnx"));
  console.log(`${dir}: tokenizer ok (${checkTokenizer(dir)})`);
  for (const c of ref.cases) {
    const feeds = {};
    for (const [name, t] of Object.entries(c.inputs)) {
      if (session.inputNames.includes(name)) feeds[name] = toTensor(t);
    }
    const out = await session.run(feeds);
    let worst = 0;
    for (const [name, t] of Object.entries(c.outputs)) {
      if (!(name in out)) throw new Error(`${dir}: output ${name} missing from the graph`);
      worst = Math.max(worst, maxAbsDiff(out[name], toTensor(t)));
    }
    const ok = worst <= tol;
    failed ||= !ok;
    console.log(`  ${c.name}: max |onnxruntime - reference| = ${worst.toExponential(2)} ${ok ? "ok" : `FAIL (> ${tol})`}`);
  }
}
process.exit(failed ? 1 : 0);
