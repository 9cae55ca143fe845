// Where the console lives: its prefix ends with "/" and the API is `<prefix>api/...`.
//
// In order: the `<meta name="veneer-prefix" content="/x/">` the worker may fill in; the folder
// this script was loaded from (`<prefix>app.js`, so whatever prefix the worker serves the assets
// under); the folder of the page's own path; and `/__veneer/` when none says anything.

export const DEFAULT_PREFIX = "/__veneer/";

/** Pure, for tests: `meta` is the meta tag's content, `scriptPath` and `pathname` are URL paths. */
export function derivePrefix({ meta, scriptPath, pathname } = {}) {
  const fromMeta = (meta || "").trim();
  if (fromMeta && fromMeta.startsWith("/") && !fromMeta.includes("{")) return withSlash(fromMeta);
  for (const path of [scriptPath, pathname]) {
    if (!path || !path.startsWith("/")) continue;
    const folder = path.slice(0, path.lastIndexOf("/") + 1);
    if (folder !== "/") return folder;
  }
  return DEFAULT_PREFIX;
}

function withSlash(path) {
  return path.endsWith("/") ? path : `${path}/`;
}

let cached;

/** The prefix of this page (computed once, while the script runs). */
export function prefix() {
  if (cached) return cached;
  const meta = document.querySelector('meta[name="veneer-prefix"]')?.getAttribute("content");
  const script = document.currentScript?.src || document.querySelector('script[src$="app.js"]')?.src;
  let scriptPath;
  try {
    if (script) scriptPath = new URL(script, location.href).pathname;
  } catch {
    scriptPath = undefined;
  }
  cached = derivePrefix({ meta, scriptPath, pathname: location.pathname });
  return cached;
}
