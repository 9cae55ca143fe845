// (b) The baseline: a plain JavaScript worker that sends every request on to ORIGIN, untouched.
export default {
  fetch(request, env) {
    return fetch(new URL(new URL(request.url).pathname, env.ORIGIN), request);
  },
};
