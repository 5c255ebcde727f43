#!/usr/bin/env node
// run_onnx.mjs: runs an ONNX classifier with ONNX Runtime for Node (onnxruntime-node, the CPU
// execution provider) and prints its logits, for the C++ tests' independent check of the export.
//
// Usage: node run_onnx.mjs --model MODEL.onnx --inputs INPUTS.json [--modules DIR/node_modules]
//                          [--optimization disabled|basic|extended|all]
//
// INPUTS.json: {"input_ids": [[...], ...], "attention_mask": [[...]], "token_type_ids": [[...]]},
// integer rows of equal length, fed as int64 [batch, sequence] to the inputs of those names; or, for
// any input, {"type": "float32", "dims": [...], "data": [...]} (an image model's pixel_values).
// Prints one JSON line: {"logits": [[...], ...], "dims": [batch, num_labels], "onnxruntime": VERSION}.
// --modules names the node_modules folder onnxruntime-node is installed in (the test's npm ci
// prefix); without it the usual resolution from this script's folder applies. --optimization is
// ONNX Runtime's graph optimisation level (default all): "disabled" runs the graph node for node,
// without the fused kernels (Gelu, LayerNorm, attention, MatMulIntegerToFloat) of the other levels.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

function fail(message) {
  process.stderr.write(`run_onnx.mjs: ${message}\n`);
  process.exit(1);
}

const { values: options } = parseArgs({
  options: {
    model: { type: 'string' },
    inputs: { type: 'string' },
    modules: { type: 'string' },
    optimization: { type: 'string', default: 'all' },
  },
});
if (!options.model || !options.inputs) fail('usage: run_onnx.mjs --model MODEL.onnx --inputs INPUTS.json [--modules DIR]');

// createRequire from a file inside --modules: require() then searches that node_modules folder.
const require = createRequire(
  options.modules ? path.join(path.resolve(options.modules), 'resolve-from-here.js') : import.meta.url);
const ort = require('onnxruntime-node');

function int64Tensor(name, rows) {
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every((row) => Array.isArray(row) && row.length === rows[0].length))
    fail(`${name} must be a non-empty list of rows of equal length`);
  const data = BigInt64Array.from(rows.flat(), (value) => BigInt(value));
  return new ort.Tensor('int64', data, [rows.length, rows[0].length]);
}

const inputs = JSON.parse(readFileSync(options.inputs, 'utf8'));
// One thread: the tests share small machines, and the models are tiny.
const session = await ort.InferenceSession.create(options.model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: options.optimization,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
const feeds = {};
for (const name of session.inputNames) {
  if (!(name in inputs)) fail(`the model has an input '${name}' that ${options.inputs} lacks`);
  const given = inputs[name];
  if (given && !Array.isArray(given) && given.type === 'float32') {
    const size = given.dims.reduce((a, b) => a * b, 1);
    if (!Array.isArray(given.data) || given.data.length !== size) fail(`${name}: data does not fill dims ${given.dims}`);
    feeds[name] = new ort.Tensor('float32', Float32Array.from(given.data), given.dims);
  } else {
    feeds[name] = int64Tensor(name, given);
  }
}
const results = await session.run(feeds);
const logits = results[session.outputNames[0]];
if (logits.type !== 'float32' || logits.dims.length !== 2) fail(`unexpected output ${logits.type} [${logits.dims}]`);
const [batch, labels] = logits.dims;
const rows = [];
for (let row = 0; row < batch; ++row) rows.push(Array.from(logits.data.subarray(row * labels, (row + 1) * labels)));
process.stdout.write(`${JSON.stringify({ logits: rows, dims: [batch, labels], onnxruntime: ort.env.versions.node })}\n`);
