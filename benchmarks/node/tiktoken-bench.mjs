// GPT-2 encode and decode of one file with npm's tiktoken (OpenAI's Rust core compiled to WASM),
// one thread, best and mean of N runs. Prints one JSON line, and checks the token count.
// Usage: node tiktoken-bench.mjs FILE [runs]
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const text = readFileSync(file, "utf8");
const bytes = Buffer.byteLength(text, "utf8");
const enc = get_encoding("gpt2");

function time(fn) {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
}

let ids;
[, ids] = time(() => enc.encode_ordinary(text)); // warm-up
const encodeMs = [];
for (let i = 0; i < runs; i++) encodeMs.push(time(() => enc.encode_ordinary(text))[0]);
const decodeMs = [];
for (let i = 0; i < runs; i++) decodeMs.push(time(() => enc.decode(ids))[0]);
enc.free();

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(JSON.stringify({
  peer: "tiktoken (npm, WASM)", file, bytes, tokens: ids.length, runs,
  encode_ms_mean: mean(encodeMs), encode_ms_best: Math.min(...encodeMs),
  encode_mb_s: bytes / 1e6 / (mean(encodeMs) / 1e3),
  decode_ms_mean: mean(decodeMs), decode_mb_s: bytes / 1e6 / (mean(decodeMs) / 1e3),
}));
