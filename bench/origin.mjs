// The benchmark origin: a small Node HTTP server that serves the fixed pages of
// bench/pages.mjs from memory (and 404 for anything else). bench/edge.mjs runs it as its own
// process, so that its CPU is accounted separately from the driver's.
//
//   node bench/origin.mjs [--port 0]     prints {"port": N, "pages": {...}} on stdout when ready
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { buildCommerce, buildListings, buildPage, buildPages, MEMORY_PAGE } from "./pages.mjs";

const portArg = process.argv.indexOf("--port");
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const pages = new Map();
for (const page of [...buildPages(), ...buildListings(), buildCommerce(), { ...MEMORY_PAGE, body: buildPage(MEMORY_PAGE.target) }]) {
  pages.set(page.path, {
    body: page.body,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": String(page.body.length),
      "Cache-Control": "public, max-age=60",
      ETag: `"${createHash("sha1").update(page.body).digest("hex")}"`,
    },
  });
}

const server = createServer((req, res) => {
  const page = pages.get(req.url.split("?")[0]);
  req.resume();
  if (!page) {
    res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": "10" });
    res.end("not found\n");
    return;
  }
  res.writeHead(200, page.headers);
  res.end(req.method === "HEAD" ? undefined : page.body);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(port, "127.0.0.1", () => {
  const sizes = Object.fromEntries([...pages].map(([path, p]) => [path, p.body.length]));
  process.stdout.write(JSON.stringify({ port: server.address().port, pages: sizes }) + "\n");
});
process.on("SIGTERM", () => process.exit(0));
