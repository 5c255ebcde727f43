#!/usr/bin/env node
// hf_encode.mjs: encodes and decodes texts with Hugging Face's tokenizers (the Rust library, through its Node
// bindings, npm "tokenizers") loading a tokenizer.json, for the C++ tests' independent check of the byte-level BPE
// and of XLM-R's SentencePiece tokenizer (a tokenizer.json from spm_to_tokenizer_json.mjs).
//
// Usage: node hf_encode.mjs --tokenizer TOKENIZER.json --input CASES.json [--modules DIR/node_modules]
//
// CASES.json: {"texts": ["...", ...], "pairs": [["first", "second"], ...]}.
// Prints one JSON line: {"tokenizers": VERSION, "texts": [ENCODING, ...], "pairs": [ENCODING, ...]}, where an
// ENCODING is {"ids", "type_ids", "tokens", "offsets", "sequences", "decoded", "decoded_skip_special"} with the
// special tokens of the post-processor added. The bindings give offsets in characters (code points); they are
// written here as UTF-8 byte offsets into the text the token came from ("sequences": 0 or 1, -1 for a special
// token of the template), as the C++ tokenizer reports them. "decoded" is decode(ids) keeping special tokens,
// "decoded_skip_special" skips them.
// --modules names the node_modules folder tokenizers is installed in (the test's npm ci prefix); without it the
// usual resolution from this script's folder applies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

function fail(message) {
  process.stderr.write(`hf_encode.mjs: ${message}\n`);
  process.exit(1);
}

const { values: options } = parseArgs({
  options: {
    tokenizer: { type: 'string' },
    input: { type: 'string' },
    modules: { type: 'string' },
  },
});
if (!options.tokenizer || !options.input)
  fail('usage: hf_encode.mjs --tokenizer TOKENIZER.json --input CASES.json [--modules DIR]');

// createRequire from a file inside --modules: require() then searches that node_modules folder.
const require = createRequire(
  options.modules ? path.join(path.resolve(options.modules), 'resolve-from-here.js') : import.meta.url);
const { Tokenizer } = require('tokenizers');
const version = require('tokenizers/package.json').version;

// byteAt[k]: the UTF-8 byte offset of code point k of `text` (and of its end, at k = its length).
function byteOffsets(text) {
  const byteAt = [0];
  for (const c of text) byteAt.push(byteAt[byteAt.length - 1] + Buffer.byteLength(c, 'utf8'));
  return byteAt;
}

const tokenizer = Tokenizer.fromFile(options.tokenizer);
const cases = JSON.parse(readFileSync(options.input, 'utf8'));

async function encode(texts) {
  const encoding = await tokenizer.encode(texts[0], texts.length > 1 ? texts[1] : null);
  const maps = texts.map(byteOffsets);
  const sequences = encoding.getSequenceIds().map((s) => (s === null || s === undefined ? -1 : s));
  const offsets = encoding.getOffsets().map(([begin, end], i) => {
    if (sequences[i] < 0) return [begin, end];
    const byteAt = maps[sequences[i]];
    if (end >= byteAt.length) fail(`offset ${end} is past the end of ${JSON.stringify(texts[sequences[i]])}`);
    return [byteAt[begin], byteAt[end]];
  });
  const ids = encoding.getIds();
  return {
    ids,
    type_ids: encoding.getTypeIds(),
    tokens: encoding.getTokens(),
    offsets,
    sequences,
    decoded: await tokenizer.decode(ids, false),
    decoded_skip_special: await tokenizer.decode(ids, true),
  };
}

const result = { tokenizers: version, texts: [], pairs: [] };
for (const text of cases.texts ?? []) result.texts.push(await encode([text]));
for (const pair of cases.pairs ?? []) result.pairs.push(await encode(pair));
process.stdout.write(`${JSON.stringify(result)}\n`);
