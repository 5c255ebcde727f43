#!/usr/bin/env node
// spm_to_tokenizer_json.mjs: writes the tokenizer.json that transformers' XLMRobertaConverter makes from an XLM-R
// sentencepiece.bpe.model, for the C++ tests' independent check of the SentencePiece tokenizer with Hugging Face's
// tokenizers (hf_encode.mjs loads the result).
//
// Usage: node spm_to_tokenizer_json.mjs --model sentencepiece.bpe.model --output tokenizer.json
//
// The model is a SentencePiece ModelProto, read here with a protobuf wire-format reader of its own (no
// sentencepiece or protobuf package): pieces (1: piece, 2: score, 3: type), trainer_spec.model_type and
// normalizer_spec.precompiled_charsmap. What is written follows transformers' SpmConverter and
// XLMRobertaConverter (convert_slow_tokenizer.py) and XLMRobertaTokenizerFast's special tokens:
// - model: Unigram over <s> <pad> </s> <unk> (ids 0-3, score 0), the model's pieces from its fourth on (spm id
//   + 1, the fairseq offset) with their scores, and <mask> (score 0) last; unk_id 3;
// - normalizer: Precompiled (the model's charsmap), Strip (right only), Replace(/ {2,}/, "▁");
// - pre-tokenizer and decoder: Metaspace, replacement "▁", prepend_scheme "always" (add_prefix_space; split);
// - post-processor: TemplateProcessing "<s> $A </s>" and "<s> $A </s> </s> $B </s>", all token type 0;
// - added tokens: the model's control pieces (special) and user-defined pieces (not special), then <s> <pad>
//   </s> <unk> <mask> as special tokens, none normalized, <mask> taking the spaces before it (lstrip).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

function fail(message) {
  process.stderr.write(`spm_to_tokenizer_json.mjs: ${message}\n`);
  process.exit(1);
}

const { values: options } = parseArgs({ options: { model: { type: 'string' }, output: { type: 'string' } } });
if (!options.model || !options.output)
  fail('usage: spm_to_tokenizer_json.mjs --model MODEL --output TOKENIZER.json');

// The fields of one protobuf message: [{field, wire, value}], value a number (varint, fixed32 as raw bits) or a
// Buffer (length-delimited).
function fields(bytes) {
  const out = [];
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length) fail('truncated varint');
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      out.push({ field, wire, value: varint() });
    } else if (wire === 1) {
      out.push({ field, wire, value: bytes.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) fail(`field ${field}: length ${length} past the end`);
      out.push({ field, wire, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      out.push({ field, wire, value: bytes.subarray(at, at + 4) });
      at += 4;
    } else {
      fail(`unsupported wire type ${wire} (field ${field})`);
    }
  }
  return out;
}

const model = readFileSync(options.model);
const pieces = [];
let modelType = 1; // TrainerSpec.model_type defaults to UNIGRAM
let charsmap = Buffer.alloc(0);
for (const { field, value } of fields(model)) {
  if (field === 1) {
    // SentencePiece: type defaults to NORMAL (1).
    const piece = { piece: '', score: 0, type: 1 };
    for (const f of fields(value)) {
      if (f.field === 1) piece.piece = f.value.toString('utf8');
      else if (f.field === 2) piece.score = f.value.readFloatLE(0);
      else if (f.field === 3) piece.type = Number(f.value);
    }
    pieces.push(piece);
  } else if (field === 2) {
    for (const f of fields(value)) if (f.field === 3) modelType = Number(f.value);
  } else if (field === 3) {
    for (const f of fields(value)) if (f.field === 2) charsmap = Buffer.from(f.value);
  }
}
if (modelType !== 1) fail(`model_type ${modelType}: XLMRobertaConverter's model is Unigram (1)`);
if (pieces.length < 4) fail(`only ${pieces.length} pieces`);

// XLMRobertaConverter.vocab and unk_id.
const vocab = [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0]];
for (const { piece, score } of pieces.slice(3)) vocab.push([piece, score]);
vocab.push(['<mask>', 0]);
const idOf = new Map();
vocab.forEach(([piece], id) => { if (!idOf.has(piece)) idOf.set(piece, id); });

const addedToken = (content, special, lstrip = false) => ({
  id: idOf.get(content), content, single_word: false, lstrip, rstrip: false, normalized: false, special,
});
// SpmConverter.tokenizer: control (3) and user-defined (4) pieces in spm id order, then the fast tokenizer's
// special tokens; a content added twice keeps its first entry.
const added = [];
const seen = new Set();
const add = (token) => {
  if (seen.has(token.content)) return;
  seen.add(token.content);
  added.push(token);
};
pieces.forEach(({ piece, type }) => { if (type === 3 || type === 4) add(addedToken(piece, type === 3)); });
for (const content of ['<s>', '<pad>', '</s>', '<unk>']) add(addedToken(content, true));
add(addedToken('<mask>', true, true));
// A token of the fast tokenizer's own special tokens turns special even when spm made it a user-defined piece.
for (const token of added)
  if (['<s>', '<pad>', '</s>', '<unk>', '<mask>'].includes(token.content)) token.special = true;
added.sort((a, b) => a.id - b.id);

const metaspace = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
const normalizers = [
  { type: 'Strip', strip_left: false, strip_right: true },
  { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '\u2581' },
];
if (charsmap.length > 0)
  normalizers.unshift({ type: 'Precompiled', precompiled_charsmap: charsmap.toString('base64') });
const special = (id) => ({ SpecialToken: { id, type_id: 0 } });
const sequence = (id) => ({ Sequence: { id, type_id: 0 } });

const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: added,
  normalizer: { type: 'Sequence', normalizers },
  pre_tokenizer: metaspace,
  post_processor: {
    type: 'TemplateProcessing',
    single: [special('<s>'), sequence('A'), special('</s>')],
    pair: [special('<s>'), sequence('A'), special('</s>'), special('</s>'), sequence('B'), special('</s>')],
    special_tokens: {
      '<s>': { id: '<s>', ids: [idOf.get('<s>')], tokens: ['<s>'] },
      '</s>': { id: '</s>', ids: [idOf.get('</s>')], tokens: ['</s>'] },
    },
  },
  decoder: metaspace,
  model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
};
writeFileSync(options.output, JSON.stringify(tokenizer));
