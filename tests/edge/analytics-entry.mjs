// Veneer's real entry point with a stand-in Analytics Engine binding (for analytics.test.mjs):
// locally writeDataPoint is a no-op with nothing to read, so this one logs each data point as
// a JSON line the test reads.
import Veneer from "../../edge/entry.mjs";

export { VeneerPublisher } from "../../edge/entry.mjs";

const dataset = {
  writeDataPoint(point) {
    console.log(JSON.stringify({ veneer: "analytics_engine_stub", point }));
  },
};

export default class extends Veneer {
  constructor(ctx, env) {
    super(ctx, { ...env, VENEER_ANALYTICS: dataset });
  }
}
