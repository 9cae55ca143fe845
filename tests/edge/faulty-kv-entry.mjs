// Veneer's real entry point with a misbehaving KV (for faults.test.mjs). The var KV_FAULT says
// how the RULES binding misbehaves: `slow:<ms>` (every read waits that long first), `fail`
// (every read rejects), or `old` (every read returns the value stored under `rules:old`, as a
// stale KV replica would).
import Veneer from "../../edge/entry.mjs";

export { VeneerPublisher } from "../../edge/entry.mjs";

function faulty(kv, fault) {
  const [kind, arg] = String(fault).split(":");
  const read = async (method, key, options) => {
    if (kind === "slow") await new Promise((r) => setTimeout(r, Number(arg)));
    if (kind === "fail") throw new Error("KV is down in this test");
    return kv[method](kind === "old" && key === "rules" ? "rules:old" : key, options);
  };
  return {
    get: (key, options) => read("get", key, options),
    getWithMetadata: (key, options) => read("getWithMetadata", key, options),
    put: (...args) => kv.put(...args),
    list: (...args) => kv.list(...args),
    delete: (...args) => kv.delete(...args),
  };
}

export default class extends Veneer {
  constructor(ctx, env) {
    const rules = env.KV_FAULT ? faulty(env.RULES, env.KV_FAULT) : env.RULES;
    super(ctx, new Proxy(env, { get: (target, name) => (name === "RULES" ? rules : Reflect.get(target, name)) }));
  }
}
