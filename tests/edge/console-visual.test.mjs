// The visual editor and the task forms as a marketer uses them, end to end: headless Chromium
// signs in to the real worker (workerd, local KV, D1, the publisher Durable Object), changes the
// demo shop in the framed preview and through the forms, publishes, and a visitor's request
// (straight to the worker, no console cookie) shows each change, or for the scheduled banner,
// not yet. Prints the time from Apply to the change shown in the frame.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { BROWSER_UA, ROOT, launchChromium, startOrigin, startVeneer, signedInConsole } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "console-visual-token";
const LIVE = JSON.stringify({ version: 1, rules: [] }, null, 2);
/** Whether this build's document has goals and experiment metrics (the wizard then sets one). */
const SCHEMA = JSON.parse(readFileSync(`${ROOT}schema/rules.schema.json`, "utf8"));
const GOALS = !!(SCHEMA.properties?.goals && SCHEMA.$defs?.experiment?.properties?.metrics);

let shop;
let veneer;
let browser;
let context;
let page;
const errors = [];
const timings = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: `make test` installs it (apt-get install chromium)");
  assert.ok(existsSync(`${ROOT}console/dist/__veneer/app.js`), "the console UI is not built: run `npm run build:console`");
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({
    origin: shop.url,
    rules: LIVE,
    vars: { VENEER_SECRET: "console-visual-secret", VENEER_ADMIN_TOKEN: TOKEN },
    listen: true,
  });
  browser = await launchChromium();
  ({ context, page } = await signedInConsole(browser, veneer.url, { token: TOKEN, name: "Vera Visual", errors }));
});
after(async () => {
  if (timings.length) console.log(`click-to-change in the frame (ms): ${timings.join(", ")}; median ${timings.slice().sort((a, b) => a - b)[Math.floor(timings.length / 2)]}`);
  await context?.close();
  await browser?.close();
  await veneer?.close();
  await shop?.close();
});

/** A page as a visitor gets it from the worker: a browser, no console cookie. */
async function visitor(path, { id, cf } = {}) {
  const headers = { "user-agent": BROWSER_UA };
  if (id) headers.cookie = `veneer_id=${id}`;
  return (await veneer.fetch(path, { headers, ...(cf ? { cf } : {}) })).text();
}

const frame = () => page.frameLocator("#visual-frame");

async function openVisual(path = "/") {
  await page.locator("#nav-visual").click();
  await page.locator("#visual-url").fill(path);
  await page.locator("button[name=visual-open]").click();
  await page.locator("section.visual[data-loading=false]").waitFor({ state: "attached" });
  await frame().locator("#veneer-preview-badge").waitFor();
}

/** Apply, then wait for the frame to show it; records the time the console measured. */
async function apply() {
  await page.locator("[data-testid=visual-timing]").evaluate((e) => { e.dataset.ms = ""; });
  await page.locator("button[name=visual-apply]").click();
  const timing = page.locator("[data-testid=visual-timing][data-ms]:not([data-ms=''])");
  await timing.waitFor();
  timings.push(Number(await timing.getAttribute("data-ms")));
}

async function publish(message) {
  await page.locator("#nav-editor").click();
  await page.locator("[data-testid=editor] .cm-content").waitFor();
  await page.locator("button[name=publish]").click();
  await page.locator("#publish-message").fill(message);
  await page.locator("button[name=publish-confirm]").click();
  await page.locator("[data-testid=notice]").filter({ hasText: /Published revision/ }).waitFor();
}

test("change the home page headline visually", async () => {
  await openVisual("/");
  await frame().locator(".hero h1").hover();
  await page.locator("[data-testid=visual-hover]:not([hidden])").waitFor();
  await frame().locator(".hero h1").click();
  assert.equal(await page.locator("#visual-selector").inputValue(), ".hero h1");
  await page.locator("[data-testid=visual-match-count]").filter({ hasText: "Matches 1 element" }).waitFor();
  await page.locator("[data-testid=visual-validator][data-state=ok]").waitFor();
  // The page patterns are proposed from the URL; the shop's own page is untouched by the overlay.
  assert.equal(await page.locator("#visual-pages").inputValue(), "/");
  assert.equal(await frame().locator(".visual-box").count(), 0);
  await page.locator("#visual-action").selectOption("set_text");
  await page.locator("#visual-text").fill("Ready for winter trails");
  await apply();
  await frame().locator(".hero h1").filter({ hasText: "Ready for winter trails" }).waitFor();
  // The list of changes on this page names the element.
  await page.locator("[data-testid=visual-change][data-selector='.hero h1'][data-op=set_text]").waitFor();
  assert.doesNotMatch(await visitor("/"), /Ready for winter trails/, "a draft is not live");
  await publish("Winter headline");
  assert.match(await visitor("/"), /<h1>Ready for winter trails<\/h1>/);
});

test("a selector that cannot work while streaming is refused with the validator's advice", async () => {
  await openVisual("/");
  await frame().locator(".hero-sub").click();
  await page.locator("#visual-selector").fill(".hero p:last-child");
  const refused = page.locator("[data-testid=visual-validator][data-state=refused]");
  await refused.waitFor();
  assert.match(await refused.textContent(), /last-child/);
  assert.match(await refused.textContent(), /first-child|class/);
  // A selector that matches nothing on this page: a warning before anything is saved.
  const before = await veneer.kv.get("rules:draft");
  await page.locator("#visual-selector").fill(".winter-sale-banner");
  await page.locator("[data-testid=visual-match-count][data-count='0']").waitFor();
  await page.locator("#visual-action").selectOption("set_text");
  await page.locator("button[name=visual-apply]").click();
  await page.locator("[data-testid=visual-warning]").filter({ hasText: "matches nothing on this page" }).waitFor();
  assert.equal(await veneer.kv.get("rules:draft"), before, "nothing saved");
});

test("undo and redo a change; hide the promo banner", async () => {
  await frame().locator(".promo-bar p").click();
  await page.locator("button[name=select-parent]").click();
  assert.equal(await page.locator("#visual-selector").inputValue(), ".promo-bar");
  await page.locator("#visual-action").selectOption("remove");
  await apply();
  assert.equal(await frame().locator(".promo-bar").count(), 0);
  await page.locator("button[name=visual-undo]").click();
  await frame().locator(".promo-bar").waitFor();
  await page.locator("button[name=visual-redo]").click();
  await page.waitForFunction(() => !document.querySelector("#visual-frame").contentDocument.querySelector(".promo-bar"));
  await publish("No promo bar");
  const html = await visitor("/");
  assert.doesNotMatch(html, /promo-bar/);
  assert.match(html, /Ready for winter trails/);
});

test("add a badge to a product tile", async () => {
  await openVisual("/");
  await frame().locator("[data-sku='TR-2055'] .product-name a").click();
  await page.locator("button[name=select-parent]").click();
  await page.locator("button[name=select-parent]").click();
  assert.equal(await page.locator("#visual-selector").inputValue(), '[data-sku="TR-2055"]');
  await page.locator("#visual-action").selectOption("badge");
  await page.locator("#visual-text").fill("Bestseller");
  await apply();
  await frame().locator("[data-sku='TR-2055'] .badge").filter({ hasText: "Bestseller" }).waitFor();
  await publish("Bestseller badge");
  assert.match(await visitor("/"), /data-sku="TR-2055">[\s\S]*?<span class="badge">Bestseller<\/span>\s*<\/li>/);
});

test(`create a 50/50 experiment on the product image${GOALS ? ", with a goal" : " (this build's document has no goals)"}`, async () => {
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-experiment]").click();
  const form = page.locator("[data-testid=task-experiment]");
  await form.locator("#exp-id").fill("pdp-image");
  await form.locator("#exp-pages").fill("/p/trail-runner-2");
  await form.locator("#exp-status").selectOption("running");
  await form.locator("button[name=exp-split]").click();
  assert.equal(await form.locator("#exp-var-0-weight").inputValue(), "50");
  assert.equal(await form.locator("#exp-var-1-weight").inputValue(), "50");
  if (GOALS) {
    // The goal: reaching the cart, as the primary metric.
    await form.locator("#exp-goal").selectOption("new");
    await form.locator("#exp-goal-name").fill("cart_view");
    await form.locator("#exp-goal-type").selectOption("page_view");
    await form.locator("#exp-goal-pages").fill("/cart");
  }
  // The second variation is edited in the visual editor, on the experiment's page.
  await form.locator("[data-variation=variant] button[name=exp-var-visual]").click();
  await page.waitForFunction(() => document.querySelector("#visual-frame").contentWindow.location.pathname === "/p/trail-runner-2"
    && document.querySelector("section.visual").dataset.loading === "false");
  await frame().locator("#veneer-preview-badge").waitFor();
  assert.equal(await page.locator("#visual-target").inputValue(), "variation:pdp-image:variant");
  await frame().locator(".product-media img").click();
  assert.equal(await page.locator("#visual-selector").inputValue(), ".product-media img");
  assert.equal(await page.locator("#visual-action").inputValue(), "image");
  await page.locator("#visual-src").fill("/assets/img/tr-2102.svg");
  await page.locator("#visual-alt").fill("Trail Runner 2, side view");
  // A running experiment: the console asks first.
  await page.locator("button[name=visual-apply]").click();
  await page.locator("[data-testid=visual-warning]").filter({ hasText: "is running" }).waitFor();
  await page.locator("[data-testid=visual-timing]").evaluate((e) => { e.dataset.ms = ""; });
  await page.locator("button[name=visual-confirm]").click();
  await page.locator("[data-testid=visual-timing][data-ms]:not([data-ms=''])").waitFor();
  // The frame shows the variation being edited (the preview forces it).
  await frame().locator(".product-media img[src='/assets/img/tr-2102.svg']").waitFor();
  assert.match(await page.locator("#visual-frame").evaluate((f) => f.contentWindow.location.search), /veneer_force=pdp-image%3Avariant/);
  const draft = JSON.parse(await veneer.kv.get("rules:draft"));
  const x = draft.experiments.find((e) => e.id === "pdp-image");
  assert.deepEqual(x.variations.map((v) => v.weight), [0.5, 0.5]);
  if (GOALS) {
    assert.deepEqual(draft.goals.cart_view, { type: "page_view", pages: ["/cart"] });
    assert.deepEqual(x.metrics, { primary: "cart_view" });
  }
  assert.deepEqual(x.variations[1].actions, [{ select: ".product-media img", set_attribute: { src: "/assets/img/tr-2102.svg", alt: "Trail Runner 2, side view" } }]);
  await publish("Product image test");
  // Visitors split between the two images.
  const seen = { control: 0, variant: 0 };
  for (let i = 0; i < 24; i++) {
    const html = await visitor("/p/trail-runner-2", { id: `visitor-${i}` });
    if (html.includes('src="/assets/img/tr-2102.svg"')) seen.variant++;
    else if (html.includes('src="/assets/img/tr-2041.svg" alt="Trail Runner 2 trail shoe" width="480"')) seen.control++;
  }
  assert.equal(seen.control + seen.variant, 24);
  assert.ok(seen.control >= 4 && seen.variant >= 4, JSON.stringify(seen));
});

test("build the audience 'mobile visitors from Germany' and see who matches", async () => {
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-audience]").click();
  const form = page.locator("[data-testid=task-audience]");
  await form.locator("#aud-name").fill("mobile-de");
  await form.locator("#aud-aud-country").fill("DE");
  await form.locator("input[name=aud-aud-device][value=mobile]").check();
  await form.locator("button[name=who-matches]").click();
  await form.locator("[data-testid=who-matches] li[data-profile=de-mobile][data-matches=true]").waitFor();
  assert.equal(await form.locator("[data-testid=who-matches] li[data-matches=true]").count(), 1);
  assert.equal(await form.locator("[data-testid=who-matches] li[data-profile=us-desktop-newsletter]").getAttribute("data-matches"), "false");
  await form.locator("button[name=aud-save]").click();
  await page.locator("[data-testid=forms-status]").filter({ hasText: "audience mobile-de" }).waitFor();
  assert.deepEqual(JSON.parse(await veneer.kv.get("rules:draft")).audiences["mobile-de"], { country: "DE", device: "mobile" });
  // Used by a copy change: German phones see it, others do not.
  await page.locator("button[name=task-copy]").click();
  const copy = page.locator("[data-testid=task-copy]");
  await copy.locator("#copy-id").fill("de-mobile-sub");
  await copy.locator("#copy-pages").fill("/");
  await copy.locator("#copy-select").fill(".hero-sub");
  await copy.locator("#copy-text").fill("Kostenloser Versand aufs Handy");
  await copy.locator("#copy-aud-named").selectOption("mobile-de");
  await copy.locator("button[name=copy-save]").click();
  await page.locator("[data-testid=forms-status]").filter({ hasText: "rule de-mobile-sub" }).waitFor();
  await publish("German phones");
  const phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
  const de = await (await veneer.fetch("/", { headers: { "user-agent": phone }, cf: { country: "DE" } })).text();
  const fr = await (await veneer.fetch("/", { headers: { "user-agent": phone }, cf: { country: "FR" } })).text();
  assert.match(de, /Kostenloser Versand aufs Handy/);
  assert.doesNotMatch(fr, /Kostenloser Versand aufs Handy/);
});

test("schedule a banner for tomorrow: published, not shown yet", async () => {
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-promo]").click();
  const form = page.locator("[data-testid=task-promo]");
  await form.locator("#promo-id").fill("tomorrow-banner");
  await form.locator("#promo-pages").fill("/");
  await form.locator("#promo-text").fill("Tomorrow only: 25% off");
  await form.locator("#promo-link").fill("/c/shoes");
  await form.locator("#promo-where").selectOption("top");
  await form.locator("#promo-sched-on").check();
  const tomorrow = new Date(Date.now() + 86_400_000);
  const day = tomorrow.toLocaleDateString("sv-SE", { timeZone: "Europe/Berlin" });
  const next = new Date(Date.now() + 2 * 86_400_000).toLocaleDateString("sv-SE", { timeZone: "Europe/Berlin" });
  await form.locator("#promo-sched-start").fill(`${day}T00:00`);
  await form.locator("#promo-sched-end").fill(`${next}T00:00`);
  await form.locator("#promo-sched-zone").selectOption("Europe/Berlin");
  await form.locator("button[name=promo-save]").click();
  await page.locator("[data-testid=forms-status]").filter({ hasText: "rule tomorrow-banner" }).waitFor();
  const rule = JSON.parse(await veneer.kv.get("rules:draft")).rules.find((r) => r.id === "tomorrow-banner");
  assert.match(rule.schedule.start, new RegExp(`^${day}T00:00:00\\+0[12]:00$`));
  assert.deepEqual(rule.actions, [{ select: "body", prepend: '<div class="veneer-banner" role="note"><a href="/c/shoes">Tomorrow only: 25% off</a></div>' }]);
  // The JSON editor shows the same document.
  await page.locator("#nav-editor").click();
  await page.locator("[data-testid=editor] .cm-content").filter({ hasText: "tomorrow-banner" }).waitFor();
  await publish("Tomorrow's banner");
  const live = JSON.parse(await veneer.kv.get("rules"));
  assert.ok(live.rules.some((r) => r.id === "tomorrow-banner"), "published");
  assert.doesNotMatch(await visitor("/"), /Tomorrow only/, "not before tomorrow");
});

test("a preview may be framed by the console; visitors keep the origin's framing headers; a saved draft shows at once", async () => {
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "x-frame-options": "DENY", "content-security-policy": "default-src 'self'; frame-ancestors 'none'" });
    res.end("<!doctype html><html><body><h1>Shop</h1></body></html>");
  });
  const doc = (text) => JSON.stringify({ rules: [{ id: "h", actions: [{ select: "h1", set_text: text }] }] });
  // Rules kept per isolate for 30 s, as in production.
  const v = await startVeneer({ origin: origin.url, rules: doc("Live"), vars: { VENEER_SECRET: "frame-secret", VENEER_ADMIN_TOKEN: TOKEN, RULES_CACHE_SECONDS: "30" } });
  try {
    const api = (method, path, body) => v.fetch(`/__veneer/api/${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, origin: "http://shop.test", "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal((await api("PUT", "draft", { document: doc("Draft one") })).status, 200);
    const { token } = await (await api("POST", "preview-token", { ttl: "1h" })).json();
    const preview = await v.fetch(`/?veneer_preview=${token}`);
    assert.equal(preview.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(preview.headers.get("content-security-policy"), "default-src 'self'; frame-ancestors 'self'");
    assert.match(await preview.text(), /<h1>Draft one<\/h1>/);
    const visit = await v.fetch("/");
    assert.equal(visit.headers.get("x-frame-options"), "DENY");
    assert.equal(visit.headers.get("content-security-policy"), "default-src 'self'; frame-ancestors 'none'");
    assert.match(await visit.text(), /<h1>Live<\/h1>/);
    // The next save shows in the next preview, though this isolate held the draft a moment ago.
    assert.equal((await api("PUT", "draft", { document: doc("Draft two") })).status, 200);
    assert.match(await (await v.fetch(`/?veneer_preview=${token}`)).text(), /<h1>Draft two<\/h1>/);
  } finally {
    await v.close();
    await origin.close();
  }
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});
