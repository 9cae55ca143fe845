// Cloudflare Access in front of the console, in workerd: the worker verifies the
// Cf-Access-Jwt-Assertion JWT itself (RS256 through WebCrypto) with keys from a local JWKS
// server standing in for <team>/cdn-cgi/access/certs. Tokens are signed here with keys made here.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync } from "node:crypto";
import { startOrigin, startVeneer } from "./harness.mjs";

const AUD = "aud-tag-0b3c9f";
const PREFIX = "/__veneer";

const keyPair = (kid) => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
};
const teamKey = keyPair("team-1");
const rotatedKey = keyPair("team-2");
const strangerKey = keyPair("team-1"); // another key that claims the team's kid

/** The JWKS the team publishes; the test adds a key to it to rotate. */
const published = [teamKey.jwk];
let certs;
let certFetches = 0;
let origin;
let veneer;
let team;

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** An RS256 JWT with the team's claims, signed by `key`; `claims` override them. */
function jwt(key, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64({ alg: "RS256", kid: key.kid, typ: "JWT" });
  const payload = b64({ iss: team, aud: [AUD], email: "ana@shop.example", iat: now, nbf: now - 5, exp: now + 600, ...claims });
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(key.privateKey).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

before(async () => {
  certs = await startOrigin((req, res) => {
    if (req.url !== "/cdn-cgi/access/certs") {
      res.writeHead(404).end();
      return;
    }
    certFetches += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: published, public_cert: { kid: "x", cert: "unused" } }));
  });
  team = certs.url;
  origin = await startOrigin((req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<h1>Origin</h1>"));
  veneer = await startVeneer({ origin: origin.url, vars: { ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: AUD } });
});
after(async () => {
  await veneer?.close();
  await origin?.close();
  await certs?.close();
});

const call = async (path, token, init = {}) => {
  const headers = { ...(token ? { "cf-access-jwt-assertion": token } : {}), ...init.headers };
  const response = await veneer.fetch(`${PREFIX}/api/${path}`, { ...init, headers });
  return { status: response.status, text: await response.text() };
};

test("a valid Access JWT signs the person in, and the audit log names them", async () => {
  const token = jwt(teamKey);
  const me = await call("me", token);
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(JSON.parse(me.text), { name: "ana@shop.example", via: "access" });
  const saved = await call("draft", token, {
    method: "PUT",
    headers: { origin: "http://shop.test", "content-type": "application/json" },
    body: JSON.stringify({ document: '{"rules": []}' }),
  });
  assert.equal(saved.status, 200, saved.text);
  const audit = JSON.parse((await call("audit", token)).text).entries;
  assert.deepEqual([audit[0].action, audit[0].who], ["save", "ana@shop.example"]);
  assert.equal(certFetches, 1, "the keys are fetched once and kept");
});

test("tokens signed by another key, for another aud or team, expired, not yet valid, or malformed are refused", async () => {
  const refused = {
    "another key with the team's kid": jwt(strangerKey),
    "another application": jwt(teamKey, { aud: ["someone-else"] }),
    "another team": jwt(teamKey, { iss: "https://other.cloudflareaccess.com" }),
    "expired an hour ago": jwt(teamKey, { exp: Math.floor(Date.now() / 1000) - 3600 }),
    "valid only tomorrow": jwt(teamKey, { nbf: Math.floor(Date.now() / 1000) + 86400 }),
    "no email": jwt(teamKey, { email: undefined }),
    "alg none": `${b64({ alg: "none", kid: "team-1" })}.${b64({ iss: team, aud: AUD, email: "x@y", exp: 9e9 })}.`,
    "a tampered payload": (() => {
      const [h, , s] = jwt(teamKey).split(".");
      return `${h}.${b64({ iss: team, aud: [AUD], email: "boss@shop.example", exp: 9e9 })}.${s}`;
    })(),
    "not a JWT": "hello",
  };
  for (const [what, token] of Object.entries(refused)) {
    const r = await call("me", token);
    assert.equal(r.status, 401, what);
    assert.equal(r.text, '{"error":"sign in"}', what);
  }
  assert.equal((await call("me", null)).status, 401, "no token, and no admin token configured");
  const audit = JSON.parse((await call("audit", jwt(teamKey))).text).entries;
  assert.ok(audit.filter((e) => e.action === "sign_in_failed").length >= Object.keys(refused).length - 1);
});

test("a token naming a new key is verified once the team's keys are fetched again", async () => {
  const fetchesBefore = certFetches;
  // The isolate fetched the keys in the first test; refetches are at least 5 s apart.
  await new Promise((r) => setTimeout(r, 5_100));
  published.push(rotatedKey.jwk);
  const me = await call("me", jwt(rotatedKey, { email: "bo@shop.example" }));
  assert.equal(me.status, 200, me.text);
  assert.equal(JSON.parse(me.text).name, "bo@shop.example");
  assert.equal(certFetches, fetchesBefore + 1);
  // The old key still works, without another fetch.
  assert.equal((await call("me", jwt(teamKey))).status, 200);
  assert.equal(certFetches, fetchesBefore + 1);
});
