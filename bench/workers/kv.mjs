// Stands in for Workers KV in the benchmark's workerd processes: a KV namespace binding in
// workerd is backed by a service, which gets `GET https://fake-host/<key>?urlencoded=true...`.
// This one holds a single key, `rules`, whose value is the DOC text binding (the rules document).
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (request.method === "GET" && key === "rules") {
      return new Response(env.DOC, { headers: { "content-type": "application/json" } });
    }
    return new Response(null, { status: 404 });
  },
};
