#!/usr/bin/env node
// Builds the console's web UI into console/dist/__veneer/ (index.html, app.js, app.css,
// licenses.txt), so an assets directory of console/dist serves it at /__veneer/.
// Idempotent and fast (well under a second); fails when the bundle is over its size budget.
//
//   node scripts/build-console.mjs           one build (minified)
//   node scripts/build-console.mjs --watch   rebuild on change (with a source map), for the dev server

import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "console", "src");
const OUT = join(ROOT, "console", "dist", "__veneer");

/**
 * Size budgets in bytes: the build fails above them. app.js was 600 KB / 200 KB until the
 * results screen brought uPlot (51 KB raw, 23 KB gzipped) and its own 21 KB.
 */
export const BUDGET = {
  "app.js": { raw: 680 * 1024, gzip: 230 * 1024 },
  "app.css": { raw: 40 * 1024, gzip: 10 * 1024 },
};

const watch = process.argv.includes("--watch");

const options = {
  entryPoints: { app: join(SRC, "main.js") },
  outdir: OUT,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome109", "firefox115", "safari16"],
  minify: !watch,
  sourcemap: watch ? "linked" : false,
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
  loader: { ".json": "json" },
};

async function licenses(metafile) {
  // One notice per bundled package (they are MIT-licensed; the notice must travel with the code).
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.set(m[1], join(ROOT, "node_modules", m[1]));
  }
  const parts = ["Third-party software bundled in app.js:\n"];
  for (const [name, dir] of [...packages].sort()) {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    const file = (await readdir(dir)).find((f) => /^(license|licence)(\.md|\.txt)?$/i.test(f));
    const text = file ? (await readFile(join(dir, file), "utf8")).trim() : `License: ${pkg.license}`;
    parts.push(`\n== ${name} ${pkg.version} (${pkg.license}) ==\n${text}\n`);
  }
  return parts.join("");
}

async function finish(result) {
  await copyFile(join(SRC, "index.html"), join(OUT, "index.html"));
  await writeFile(join(OUT, "licenses.txt"), await licenses(result.metafile));
  let over = false;
  const lines = [];
  for (const [file, budget] of Object.entries(BUDGET)) {
    const path = join(OUT, file);
    if (!existsSync(path)) continue;
    const bytes = await readFile(path);
    const raw = bytes.length;
    const gz = gzipSync(bytes, { level: 9 }).length;
    const bad = !watch && (raw > budget.raw || gz > budget.gzip);
    over ||= bad;
    lines.push(`  ${file.padEnd(8)} ${kb(raw).padStart(9)} raw, ${kb(gz).padStart(8)} gzipped  (budget ${kb(budget.raw)} / ${kb(budget.gzip)})${bad ? "  OVER BUDGET" : ""}`);
  }
  console.log(`console built into ${relative(process.cwd(), OUT) || "."}:\n${lines.join("\n")}`);
  if (over) {
    console.error("The console bundle is over its size budget (scripts/build-console.mjs, BUDGET): trim it or raise the budget on purpose.");
    process.exitCode = 1;
  }
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`;
}

await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: "after", setup(build) { build.onEnd((r) => (r.errors.length ? null : finish(r))); } }],
  });
  await ctx.watch();
  console.log("watching console/src …");
} else {
  const result = await esbuild.build(options);
  await finish(result);
}
