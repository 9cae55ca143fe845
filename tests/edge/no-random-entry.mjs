// Veneer's real entry point, in a runtime whose crypto gives no random bytes (for
// experiments.test.mjs): every call to crypto.getRandomValues throws.
import Veneer from "../../edge/entry.mjs";

export { VeneerPublisher } from "../../edge/entry.mjs";

Object.defineProperty(crypto, "getRandomValues", {
  value: () => {
    throw new Error("crypto.getRandomValues is broken in this test");
  },
});

export default Veneer;
