// The element-only workload's peer: GrowthBook's edge app (@growthbook/edge-cloudflare, as its
// README deploys it: payload from the KV_GB_PAYLOAD namespace, read on every request), its payload
// holding bench/elements.mjs's edits as a visual-editor experiment. bench/edge.mjs bundles this
// file with esbuild (the app and its dependencies, node-html-parser among them) into one module.
import { handleRequest } from "@growthbook/edge-cloudflare";
import { HTMLElement } from "node-html-parser";

// GrowthBook's class mutations do `new Set(el.classNames)`, written for a node-html-parser whose
// `classNames` was a list; in the 6.x it installs, it is a string, and the set would hold its
// characters. Give it the list it expects, so its class edits come out right.
Object.defineProperty(HTMLElement.prototype, "classNames", {
  get() {
    return this.classList.value;
  },
});

export default {
  fetch(request, env) {
    return handleRequest(request, env);
  },
};
