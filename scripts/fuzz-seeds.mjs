// Writes the seed corpus of each fuzz target from fixtures/ (scripts/fuzz.sh runs it).
// Usage: node scripts/fuzz-seeds.mjs OUT_DIR TARGET
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [out, target] = process.argv.slice(2);
const root = new URL("..", import.meta.url).pathname;
const fixture = (...p) => join(root, "fixtures", ...p);
const SEP = Buffer.from([0xff]);
let n = 0;
const seed = (bytes) => {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `seed-${String(n++).padStart(4, "0")}`), bytes);
};
const files = (dir, ext) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => join(dir, f)) : [];
const rulesFiles = [
  ...files(fixture("rules"), ".json"),
  ...files(fixture("validation"), ".json"),
  ...readdirSync(fixture("rewrite")).map((d) => fixture("rewrite", d, "rules.json")),
];
const cases = JSON.parse(readFileSync(fixture("conformance", "growthbook-cases.json"), "utf8"));

if (target === "compile") {
  for (const f of rulesFiles) seed(readFileSync(f));
} else if (target === "conditions") {
  for (const [, condition, attributes, , groups] of cases.evalCondition) {
    seed(Buffer.concat([
      Buffer.from(JSON.stringify(condition)), SEP,
      Buffer.from(JSON.stringify(attributes)), SEP,
      Buffer.from(JSON.stringify(groups ?? {})),
    ]));
  }
} else if (target === "request") {
  const heads = [
    "cookie: veneer_id=abc_DEF-123; veneer_exp=e1=v1.AAAAAAAAAAAAAAAAAAAAAA; consent=all\nuser-agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari\naccept-language: de-DE,de;q=0.9,en;q=0.8\nreferer: https://www.instagram.com/p/x",
    "cookie: veneer_preview=1700003600.AAAA; a=1; a=2; =x; b\nx-test: hello\ncf-ipcountry: US",
    "user-agent: Googlebot/2.1 (+http://www.google.com/bot.html)\naccept-language: *",
  ];
  const urls = [
    "https://shop.example/c/shoes?utm_source=news&utm_medium=mail&q=a+b%20c",
    "https://shop.example/p/%E2%82%AC%zz?veneer_preview=end&veneer_force=e:v,f:w",
    "//evil.example/\\x?a=1&a=2&=&&b",
    "http://[::1]:8080/a/../b/./c?x=%00",
  ];
  for (const u of urls) for (const h of heads) seed(Buffer.concat([Buffer.from(u), SEP, Buffer.from(h)]));
} else if (target === "signing") {
  for (const s of [
    "1700003600.AAAAAAAAAAAAAAAAAAAAAA",
    "e1=v1~e2=v2.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.1700003600.YWxpY2U.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "\"exp=a.b\"",
    "e=v&f=w&e=x",
  ]) seed(Buffer.concat([Buffer.from(s), SEP, Buffer.from("secret"), SEP, Buffer.from("visitor_1")]));
} else if (target === "render") {
  const pages = [
    ...readdirSync(fixture("rewrite")).map((d) => fixture("rewrite", d, "input.html")),
    ...files(fixture("storefront"), ".html"),
    ...files(fixture("corpus"), ".html"),
  ];
  pages.forEach((p, i) => {
    const html = readFileSync(p).subarray(0, 16 * 1024);
    seed(Buffer.concat([Buffer.from([i % 256, (i * 7) % 64]), html]));
  });
} else {
  console.error(`unknown target ${target}`);
  process.exit(2);
}
