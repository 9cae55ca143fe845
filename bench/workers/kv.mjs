// Stands in for Workers KV in the benchmark's workerd processes: a KV namespace binding in
// workerd is backed by a service, which gets `GET https://fake-host/<key>?urlencoded=true...`.
// This one holds a single key, `rules` (Veneer's) or `gb_payload` (GrowthBook's edge app, which
// reads its payload from KV_GB_PAYLOAD on every request), whose value is the DOC text binding.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (request.method === "GET" && (key === "rules" || key === "gb_payload")) {
      return new Response(env.DOC, { headers: { "content-type": "application/json" } });
    }
    return new Response(null, { status: 404 });
  },
};
