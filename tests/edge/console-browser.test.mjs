// The console as a marketer uses it, end to end: headless Chromium signs in to the real worker
// (workerd, with local KV, D1 and the publisher Durable Object), edits the draft with a mistake,
// sees the edge validator's problem at the right place, fixes it, previews it on the shop,
// publishes, reads the diff in History and rolls back; the shop page follows each step.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { ROOT, launchChromium, startVeneer } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "console-browser-token";
const RULES = {
  version: 1,
  rules: [{ id: "promo-bar", pages: ["/"], actions: [{ select: ".promo-bar p", set_html: "<strong>Black Friday:</strong> 30% off" }] }],
};
const LIVE_TEXT = JSON.stringify(RULES, null, 2);

let shop;
let veneer;
let browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: `make test` installs it (apt-get install chromium)");
  assert.ok(
    existsSync(`${ROOT}console/dist/__veneer/app.js`),
    "the console UI is not built: run `npm run build:console` (make test does)",
  );
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({
    origin: shop.url,
    rules: LIVE_TEXT,
    vars: { VENEER_SECRET: "console-browser-secret", VENEER_ADMIN_TOKEN: TOKEN },
    listen: true,
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await veneer?.close();
  await shop?.close();
});

/** The shop's home page promo bar as a visitor sees it, straight from the worker. */
async function promoBar() {
  const html = await (await fetch(new URL("/", veneer.url))).text();
  return html.match(/<div class="promo-bar"><p>(.*?)<\/p>/)?.[1];
}

async function replaceText(page, text) {
  await page.locator("[data-testid=editor] .cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
  await page.keyboard.press("Escape");
}

async function notice(page, text) {
  await page.locator("[data-testid=notice]").filter({ hasText: text }).first().waitFor();
}

test("a marketer signs in, fixes a mistake, previews, publishes, reads the diff and rolls back", async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  assert.equal(await promoBar(), "<strong>Black Friday:</strong> 30% off");

  await t.test("the console asks to sign in and refuses a wrong token", async () => {
    await page.goto(new URL("/__veneer/", veneer.url).href);
    await page.locator("#signin-token").fill("not-the-token");
    await page.locator("#signin-name").fill("Mara Marketer");
    await page.locator("button[name=signin]").click();
    await page.locator("[data-testid=signin-error]").waitFor();
    await page.locator("#signin-token").fill(TOKEN);
    await page.locator("button[name=signin]").click();
    await page.locator("[data-testid=me]").filter({ hasText: "Mara Marketer" }).waitFor();
  });

  const fixed = LIVE_TEXT.replace("30% off", "40% off");
  await t.test("a mistake in the draft is shown at its key, by the edge's own validator", async () => {
    await page.locator("#nav-editor").click();
    await page.locator("[data-testid=editor] .cm-content").waitFor();
    await replaceText(page, fixed.replace('"set_html"', '"set_txt"'));
    const problem = page.locator('[data-testid=problems] li[data-path="$.rules[0].actions[0].set_txt"]');
    await problem.waitFor();
    assert.match(await problem.textContent(), /unknown field "set_txt"/);
    const marks = await page.locator("[data-testid=editor] .cm-lintRange-error").evaluateAll((els) => els.map((e) => e.textContent));
    assert.ok(marks.includes('"set_txt"'), `a mark on "set_txt"; marks: ${JSON.stringify(marks)}`);
    await page.locator("button[name=save]").click();
    await notice(page, /saved with 2 problems/);
    // Saved, though it cannot be published: nothing a marketer saves is lost.
    assert.match(await veneer.kv.get("rules:draft"), /"set_txt"/);
  });

  await t.test("fixing it clears the problems; the draft is saved", async () => {
    await page.locator('[data-testid=problems] li[data-path="$.rules[0].actions[0].set_txt"] button').click();
    await page.keyboard.insertText('"set_html"');
    await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
    await page.locator("button[name=save]").click();
    await notice(page, "Draft saved.");
    assert.equal(await veneer.kv.get("rules:draft"), fixed);
    assert.equal(await promoBar(), "<strong>Black Friday:</strong> 30% off", "a draft is not live");
  });

  await t.test("Preview on the site shows the draft with the preview badge", async () => {
    const [popup] = await Promise.all([context.waitForEvent("page"), page.locator("button[name=preview]").click()]);
    await popup.waitForURL(/veneer_preview=/);
    await popup.locator("#veneer-preview-badge").waitFor();
    assert.equal(await popup.locator(".promo-bar p").innerHTML(), "<strong>Black Friday:</strong> 40% off");
    await popup.close();
  });

  await t.test("publishing makes the draft live on the shop", async () => {
    await page.locator("button[name=publish]").click();
    await page.locator("#publish-message").fill("Black Friday: 40% off");
    await page.locator("button[name=publish-confirm]").click();
    await notice(page, /Published revision/);
    assert.equal(await promoBar(), "<strong>Black Friday:</strong> 40% off");
  });

  await t.test("a second publish, then History shows the change side by side", async () => {
    await replaceText(page, fixed.replace("40% off", "50% off"));
    await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
    await page.locator("button[name=save]").click();
    await notice(page, "Draft saved.");
    await page.locator("button[name=publish]").click();
    await page.locator("#publish-message").fill("Black Friday: 50% off");
    await page.locator("button[name=publish-confirm]").click();
    await notice(page, /Published revision/);
    assert.equal(await promoBar(), "<strong>Black Friday:</strong> 50% off");

    await page.locator("#nav-history").click();
    const history = page.locator("[data-testid=history]");
    await history.locator("tbody tr[data-revision]").first().waitFor();
    const numbers = (await history.locator("tbody tr[data-revision]").evaluateAll((r) => r.map((x) => x.dataset.revision)))
      .filter((n) => n !== "draft").map(Number);
    const [newest, previous] = numbers.sort((a, b) => b - a);
    assert.ok(previous !== undefined, `two revisions listed: ${JSON.stringify(numbers)}`);
    await history.locator(`input[name=diff-a][value='${previous}']`).check();
    await history.locator(`input[name=diff-b][value='${newest}']`).check();
    const diff = page.locator(`[data-testid=diff][data-a='${previous}'][data-b='${newest}']`);
    await diff.locator(".cm-mergeView").waitFor();
    const after = await diff.locator(".cm-merge-b .cm-changedLine").allTextContents();
    const before = await diff.locator(".cm-merge-a .cm-changedLine").allTextContents();
    assert.ok(after.some((l) => l.includes("50% off")), `changed lines after: ${JSON.stringify(after)}`);
    assert.ok(before.some((l) => l.includes("40% off")), `changed lines before: ${JSON.stringify(before)}`);

    // Rolling back to the previous revision publishes its content again: the shop follows.
    await page.locator(`[data-testid=history] tr[data-revision='${previous}'] button[name=rollback]`).click();
    await page.locator("#rollback-message").waitFor();
    await page.locator("button[name=rollback-confirm]").click();
    await notice(page, /has the content of revision/);
    assert.equal(await promoBar(), "<strong>Black Friday:</strong> 40% off");
  });

  await t.test("a publish is scheduled for a later time, shown as pending, and cancelled", async () => {
    await page.locator("#nav-schedule").click();
    await page.locator("[data-testid=scheduled]").filter({ hasText: "Nothing is scheduled" }).waitFor();
    const year = new Date().getUTCFullYear() + 1;
    await page.locator("#schedule-at").fill(`${year}-06-01T10:30`);
    await page.locator("#schedule-message").fill("Summer sale goes live");
    await page.locator("button[name=schedule]").click();
    await page.locator("[data-testid=scheduled]").filter({ hasText: "Summer sale goes live" }).waitFor();
    const api = await page.request.get(new URL("/__veneer/api/schedule", veneer.url).href);
    const { scheduled } = await api.json();
    assert.equal(scheduled.message, "Summer sale goes live");
    assert.match(scheduled.at, new RegExp(`^${year}-06-01T`));
    await page.locator("button[name=unschedule]").click();
    await page.locator("[data-testid=scheduled]").filter({ hasText: "Nothing is scheduled" }).waitFor();
    const after = await (await page.request.get(new URL("/__veneer/api/schedule", veneer.url).href)).json();
    assert.equal(after.scheduled, null);
  });

  await t.test("the audit log names the marketer for each step", async () => {
    await page.locator("#nav-audit").click();
    const audit = page.locator("[data-testid=audit]");
    await audit.locator("tr[data-action=publish]").first().waitFor();
    const actions = new Set(await audit.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.action)));
    for (const a of ["sign_in_failed", "sign_in", "save", "publish", "rollback", "schedule", "unschedule"]) {
      assert.ok(actions.has(a), `audit has ${a}: ${[...actions]}`);
    }
    assert.match(await audit.locator("tr[data-action=publish]").first().textContent(), /Mara Marketer/);
    // The export link downloads the same log as CSV, with the session the page has.
    const href = await page.locator("[data-testid=audit-export-csv]").getAttribute("href");
    const csv = await page.request.get(new URL(href, veneer.url).href);
    assert.equal(csv.status(), 200);
    const text = await csv.text();
    assert.match(text, /^time,who,action,revision,summary\r\n/);
    assert.match(text, /Mara Marketer,publish,/);
  });

  assert.deepEqual(errors, []);
  await context.close();
});
