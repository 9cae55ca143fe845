// The reference for the fault matrix (faults.test.mjs): the benchmark's plain pass-through
// worker (bench/workers/passthrough.mjs), run by startVeneer in the same workerd, so that a
// misbehaving origin's outcome through Veneer can be compared with a plain proxy's.
export { VeneerPublisher } from "../../edge/entry.mjs";
export { default } from "../../bench/workers/passthrough.mjs";
