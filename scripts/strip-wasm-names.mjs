#!/usr/bin/env node
// Drops the `name` custom section (function names, for stack traces and profiles; not needed to
// run) from a wasm module in place: about 200 KB raw, 57 KB gzipped of Veneer's upload.
// worker-build always keeps it (it runs wasm-opt with --debuginfo), so `make wasm` runs this
// after it; `make wasm KEEP_NAMES=1` keeps the names (for `node bench/edge.mjs`'s CPU profiles).
//
//   node scripts/strip-wasm-names.mjs build/index_bg.wasm
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/strip-wasm-names.mjs FILE.wasm");
  process.exit(2);
}
const wasm = readFileSync(file);
if (wasm.readUInt32LE(0) !== 0x6d736100) {
  console.error(`${file} is not a wasm module`);
  process.exit(1);
}
const kept = [wasm.subarray(0, 8)];
let i = 8;
const leb = () => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = wasm[i++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return value;
  }
};
let dropped = 0;
while (i < wasm.length) {
  const start = i;
  const id = wasm[i++];
  const size = leb();
  const end = i + size;
  let name = null;
  if (id === 0) {
    const length = leb();
    name = wasm.subarray(i, i + length).toString();
  }
  if (name === "name") dropped += end - start;
  else kept.push(wasm.subarray(start, end));
  i = end;
}
writeFileSync(file, Buffer.concat(kept));
console.error(`${file}: dropped the name section (${dropped} B), ${wasm.length - dropped} B left`);
