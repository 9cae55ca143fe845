// Veneer's real entry point with a D1 that does nothing (for bench/recording.mjs): every
// statement is accepted at once and stored nowhere, so a run measures what recording costs
// Veneer itself, without the local database engine, which shares the process (and the CPU)
// with the worker in Miniflare, while in production it runs elsewhere.
import Veneer from "../../edge/entry.mjs";

export { VeneerPublisher } from "../../edge/entry.mjs";

class D1PreparedStatement {
  bind() {
    return this;
  }
}

// The class name is what workers-rs checks for a D1 binding.
class D1Database {
  prepare() {
    return new D1PreparedStatement();
  }
  async batch(statements) {
    return statements.map(() => ({ success: true, results: [], meta: {} }));
  }
}

export default class extends Veneer {
  constructor(ctx, env) {
    super(ctx, { ...env, DB: new D1Database() });
  }
}
