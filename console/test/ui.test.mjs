// The console in Chromium against the mock API (console/dev-server.mjs), as a marketer uses it:
// sign in, make a mistake in the draft and see it inline and in the problems list, fix it, save,
// preview, publish (and survive someone else publishing first), compare revisions, roll back,
// schedule and cancel, read the audit log; read an experiment's results and ship its winner.
//
//   node --test console/test/            (builds the console first)
//   SCREENSHOTS=/tmp/shots node --test console/test/ui.test.mjs   also saves a PNG per screen
//
// Needs /usr/bin/chromium (Debian's package) and playwright-core (npm ci).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDevServer, validate, withDemoExperiments } from "../dev-server.mjs";
import { hasMerch } from "../src/merch-model.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = process.env.SCREENSHOTS || "";
const ZONE = "Europe/Berlin";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let browser;

before(() => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: apt-get install chromium");
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-console.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser profile on a laptop-sized screen, recording errors and API calls. */
async function open(server) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 820 }, timezoneId: ZONE, locale: "en-GB" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  const calls = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // The browser logs every 4xx answer; the 401s and 404s here are expected API answers.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => { if (r.url().includes("/api/")) calls.push(new URL(r.url()).pathname); });
  await page.goto(server.consoleUrl);
  return { context, page, errors, calls };
}

/** A screenshot (with SCREENSHOTS=dir) and the accessibility checks, for one screen. */
async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  await accessible(page, name);
}

/** axe-core's WCAG checks on what is on screen now: no serious or critical violation. */
async function accessible(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `accessibility problems on ${where}`);
}

async function signIn(page, name = "Mara Marketer") {
  await page.locator("#signin-token").fill("dev");
  await page.locator("#signin-name").fill(name);
  await page.locator("button[name=signin]").click();
  await page.locator("[data-testid=me]").filter({ hasText: name }).waitFor();
}

/** Replaces the editor's whole text the way a paste would. */
async function replaceText(page, text) {
  await page.locator("[data-testid=editor] .cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
  await page.keyboard.press("Escape"); // close a completion popup, if one opened
}

/** Moves the mouse over the first occurrence of `text` in the editor (for hover help). */
async function hoverText(page, text) {
  const point = await page.evaluate((needle) => {
    const root = document.querySelector("[data-testid=editor] .cm-content");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const i = node.textContent.indexOf(needle);
      if (i < 0) continue;
      const range = document.createRange();
      range.setStart(node, i + 1);
      range.setEnd(node, i + needle.length - 1);
      const r = range.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }
    return null;
  }, text);
  assert.ok(point, `${text} is in the editor`);
  await page.mouse.move(point.x - 3, point.y);
  await page.mouse.move(point.x, point.y);
}

async function editorText(page) {
  // The whole document: CodeMirror draws only the lines in view, so read its state, not the DOM.
  return page.evaluate(() => document.querySelector("[data-testid=editor] .cm-content").cmTile.root.view.state.doc.toString());
}

function notice(page, pattern) {
  return page.locator("[data-testid=notice]").filter({ hasText: pattern }).waitFor();
}

function pad(n) {
  return String(n).padStart(2, "0");
}

test("a marketer's day in the console", async (t) => {
  const server = await startDevServer({ port: 0, propagationMs: 1500 });
  const { context, page, errors } = await open(server);
  const seed = server.state.revisions[0].document;
  try {
    await t.test("the console asks to sign in, refuses a wrong token, then signs in with the keyboard", async () => {
      await page.locator("#signin-token").waitFor();
      assert.equal(await page.locator("header.top").isVisible(), false, "nothing but the sign-in form before signing in");
      await shot(page, "01-signin");
      await page.locator("#signin-token").fill("wrong");
      await page.locator("#signin-name").fill("Mara Marketer");
      await page.locator("button[name=signin]").click();
      await page.locator("[data-testid=signin-error]").filter({ hasText: "wrong token" }).waitFor();
      await page.locator("#signin-token").fill("");
      await page.locator("#signin-token").focus();
      await page.keyboard.type("dev");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "signin-name");
      await page.keyboard.press("Enter");
      await page.locator("[data-testid=me]").filter({ hasText: "Mara Marketer" }).waitFor();
    });

    await t.test("the overview lists the rules and the live revision", async () => {
      await page.locator("[data-testid=overview-rules] tr[data-id=black-friday-bar]").waitFor();
      assert.equal(await page.locator("[data-testid=overview-rules] tbody tr").count(), JSON.parse(seed).rules.length);
      await page.locator("[data-testid=live-revision][data-revision='1']").waitFor();
      await shot(page, "02-overview");
    });

    const mistaken = seed.replace('"set_html"', '"set_txt"').replace("30% off all trail shoes", "40% off all trail shoes");
    assert.notEqual(mistaken, seed);

    await t.test("a mistake shows inline at its key and in the problems list", async () => {
      await page.locator("#nav-editor").click();
      await page.locator("[data-testid=editor] .cm-content").waitFor();
      await page.locator("[data-testid=draft-state]").filter({ hasText: "No draft yet" }).waitFor();
      assert.match(await editorText(page), /black-friday-bar/);
      await replaceText(page, mistaken);
      const problem = page.locator('[data-testid=problems] li[data-path="$.rules[0].actions[0].set_txt"]');
      await problem.waitFor();
      assert.match(await problem.textContent(), /unknown field "set_txt"/);
      assert.equal(await page.locator("[data-testid=problems] li").count(), 2, "the unknown field and the missing operation");
      // Inline: a lint mark whose text is exactly the mistaken key, on the line that holds it.
      // The editor draws only the lines in view: back to the top, where the mistake is.
      await page.keyboard.press("ControlOrMeta+Home");
      const marks = await page.locator("[data-testid=editor] .cm-lintRange-error").evaluateAll((els) => els.map((e) => e.textContent));
      assert.ok(marks.includes('"set_txt"'), `a mark on "set_txt"; marks: ${JSON.stringify(marks)}`);
      const line = await page.locator("[data-testid=editor] .cm-line", { has: page.locator(".cm-lintRange-error") }).first().textContent();
      assert.match(line, /"set_txt": "<strong>Black Friday/);
    });

    await t.test("Ctrl+S saves it as a draft with problems", async () => {
      await page.locator("[data-testid=editor] .cm-content").click();
      await page.keyboard.press("ControlOrMeta+s");
      await notice(page, /saved with 2 problems/);
      assert.match(server.state.draft.document, /"set_txt"/);
      assert.equal(server.state.draft.author, "Mara Marketer");
    });

    await t.test("the problem's path jumps to it; fixing it clears the problems", async () => {
      await page.locator('[data-testid=problems] li[data-path="$.rules[0].actions[0].set_txt"] button').click();
      const selected = await page.evaluate(() => getSelection().toString());
      assert.equal(selected, '"set_txt"', "the editor selects the mistaken key");
      await page.mouse.move(5, 5);
      await shot(page, "03-editor-problem");
      await page.keyboard.insertText('"set_html"');
      await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
      assert.equal(await page.locator("[data-testid=problems] li").count(), 0);
      await page.locator("[data-testid=editor] .cm-lintRange-error").first().waitFor({ state: "detached" });
      await page.locator("button[name=save]").click();
      await notice(page, "Draft saved.");
      assert.equal(server.state.draft.document, seed.replace("30% off all trail shoes", "40% off all trail shoes"));
    });

    await t.test("autocompletion offers the schema's keys and actions, hover explains a field", async () => {
      // A new element in the first rule's list of actions: one template per kind of action.
      await page.locator("[data-testid=editor] .cm-line", { hasText: "40% off all trail shoes" }).click();
      await page.keyboard.press("End");
      await page.keyboard.type(", ");
      await page.keyboard.press("Control+Space");
      await page.locator(".cm-tooltip-autocomplete li", { hasText: "select + set_text" }).waitFor();
      const labels = await page.locator(".cm-tooltip-autocomplete li .cm-completionLabel").allTextContents();
      assert.ok(labels.includes("inject_head") && labels.includes("select + set_html"), JSON.stringify(labels));
      await page.keyboard.press("Escape");
      await page.keyboard.press("Backspace");
      await page.keyboard.press("Backspace");
      // A new key in the first rule, right after its "id".
      await page.locator("[data-testid=editor] .cm-line", { hasText: '"id": "black-friday-bar",' }).click();
      await page.keyboard.press("End");
      await page.keyboard.press("Enter");
      await page.keyboard.type("desc");
      await page.locator(".cm-tooltip-autocomplete li", { hasText: "description" }).waitFor();
      await shot(page, "04-editor-completion");
      await page.keyboard.press("Enter");
      await page.keyboard.type("Black Friday bar, everywhere");
      await page.keyboard.press("End");
      await page.keyboard.type(",");
      assert.match(await editorText(page), /"description": "Black Friday bar, everywhere",/);
      await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
      // Hover on the first rule's "pages".
      await hoverText(page, '"pages"');
      const tip = page.locator(".veneer-hover");
      await tip.waitFor();
      assert.match(await tip.textContent(), /\$\.rules\[0\]\.pages.*paths it applies to/);
      await shot(page, "05-editor-hover");
      await page.mouse.move(5, 5);
      await page.locator("button[name=save]").click();
      await notice(page, "Draft saved.");
    });

    await t.test("Preview on the site opens the live site with the draft in a new tab", async () => {
      const [popup] = await Promise.all([context.waitForEvent("page"), page.locator("button[name=preview]").click()]);
      await popup.waitForURL(/veneer_preview=/);
      await popup.locator("[data-testid=preview-badge]").waitFor();
      await popup.close();
      await page.locator("[data-testid=preview-link] a").waitFor();
    });

    await t.test("publish with a message makes revision 2 live", async () => {
      await page.locator("button[name=publish]").click();
      await page.locator("#publish-message").waitFor();
      await page.locator("#publish-message").fill("Black Friday: 40% off");
      await shot(page, "06-publish-dialog");
      await page.locator("button[name=publish-confirm]").click();
      await notice(page, "Published revision 2");
      await page.locator("[data-testid=live-revision][data-revision='2']").waitFor();
      assert.equal(server.state.revisions.length, 2);
      assert.equal(server.state.revisions[1].meta.message, "Black Friday: 40% off");
      assert.equal(server.state.revisions[1].meta.author, "Mara Marketer");
      await page.locator("[data-testid=live-revision][data-propagating=false]").waitFor({ timeout: 15_000 });
    });

    await t.test("someone else publishing first: the publish is refused with who and what, reload, publish", async () => {
      const rival = JSON.parse(server.state.revisions[1].document);
      rival.rules.push({ id: "rival-rule", actions: [] });
      server.publishAs("rival@shop.example", JSON.stringify(rival, null, 2), "Rival's rule");
      const text = await editorText(page);
      await replaceText(page, text.replace("40% off all trail shoes", "45% off all trail shoes"));
      await page.locator("button[name=publish]").click();
      await page.locator("#publish-message").fill("Black Friday: 45% off");
      await page.locator("button[name=publish-confirm]").click();
      const conflict = page.locator("[data-testid=conflict]");
      await conflict.waitFor();
      assert.match(await conflict.textContent(), /revision 3 by rival@shop\.example.*Rival's rule/s);
      assert.match(await conflict.textContent(), /added rival-rule/);
      await shot(page, "07-publish-conflict");
      await conflict.locator("button[name=reload]").click();
      await page.locator("[data-testid=publish-dialog-result]").filter({ hasText: "Now based on live revision 3" }).waitFor();
      await page.locator("button[name=publish-confirm]").click();
      await notice(page, "Published revision 4");
      assert.match(server.state.revisions[3].document, /45% off/);
    });

    await t.test("History lists the revisions and diffs any two side by side", async () => {
      await page.locator("#nav-history").click();
      const history = page.locator("[data-testid=history]");
      await history.locator("tr[data-revision='4']").waitFor();
      assert.deepEqual(await history.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.revision)), ["draft", "4", "3", "2", "1"]);
      await history.locator("input[name=diff-a][value='1']").check();
      await history.locator("input[name=diff-b][value='2']").check();
      const diff = page.locator("[data-testid=diff][data-a='1'][data-b='2']");
      await diff.locator(".cm-mergeView").waitFor();
      const changed = await diff.locator(".cm-merge-b .cm-changedLine").allTextContents();
      assert.ok(changed.some((l) => l.includes("40% off all trail shoes")), `changed lines on side B: ${JSON.stringify(changed)}`);
      const before = await diff.locator(".cm-merge-a .cm-changedLine").allTextContents();
      assert.ok(before.some((l) => l.includes("30% off all trail shoes")));
      await shot(page, "08-history-diff");
    });

    await t.test("Roll back to revision 1 publishes its content as revision 5", async () => {
      await page.locator("[data-testid=history] tr[data-revision='1'] button[name=rollback]").click();
      await page.locator("#rollback-message").waitFor();
      assert.equal(await page.locator("#rollback-message").inputValue(), "Roll back to revision 1");
      await shot(page, "09-rollback-dialog");
      await page.locator("button[name=rollback-confirm]").click();
      await notice(page, /revision 5 has the content of revision 1/);
      await page.locator("[data-testid=history] tr[data-revision='5']").waitFor();
      assert.equal(server.state.revisions[4].document, seed);
      await page.locator("[data-testid=live-revision][data-revision='5']").waitFor();
    });

    await t.test("schedule a publish at a local time (sent as UTC), see it, cancel it", async () => {
      await page.locator("#nav-schedule").click();
      await page.locator("[data-testid=scheduled]").filter({ hasText: "Nothing is scheduled" }).waitFor();
      const year = new Date().getFullYear() + 1;
      await page.locator("#schedule-at").fill(`${year}-06-01T10:30`);
      await page.locator("[data-testid=schedule-utc]").filter({ hasText: `${year}-06-01T08:30:00Z` }).waitFor();
      await page.locator("#schedule-message").fill("Summer sale goes live");
      await page.locator("button[name=schedule]").click();
      await page.locator("[data-testid=scheduled]").filter({ hasText: "Summer sale goes live" }).waitFor();
      assert.equal(server.state.scheduled.at, `${year}-06-01T08:30:00Z`, "10:30 in Berlin in summer is 08:30 UTC");
      assert.equal(server.state.scheduled.base, 5);
      await shot(page, "10-schedule");
      await page.locator("button[name=unschedule]").click();
      await page.locator("[data-testid=scheduled]").filter({ hasText: "Nothing is scheduled" }).waitFor();
      assert.equal(server.state.scheduled, null);
    });

    await t.test("a time in the past is refused before it is sent", async () => {
      await page.locator("#schedule-at").fill("2001-01-01T10:00");
      await page.locator("#schedule-message").fill("Too late");
      await page.locator("button[name=schedule]").click();
      await page.locator("[data-testid=schedule-error]").filter({ hasText: "in the future" }).waitFor();
      assert.equal(server.state.scheduled, null);
    });

    await t.test("the audit log shows every step, and exports CSV and JSON", async () => {
      await page.locator("#nav-audit").click();
      const audit = page.locator("[data-testid=audit]");
      await audit.locator("tr[data-action=unschedule]").waitFor();
      const actions = new Set(await audit.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.action)));
      for (const a of ["sign_in_failed", "sign_in", "save", "publish", "rollback", "schedule", "unschedule"]) assert.ok(actions.has(a), `audit has ${a}`);
      await shot(page, "11-audit");
      const csvHref = await page.locator("[data-testid=audit-export-csv]").getAttribute("href");
      assert.equal(csvHref, "/__veneer/api/audit?format=csv");
      const csv = await page.request.get(new URL(csvHref, server.url).href);
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /^time,who,action,revision,summary\r\n/);
      const jsonHref = await page.locator("[data-testid=audit-export-json]").getAttribute("href");
      const json = await (await page.request.get(new URL(jsonHref, server.url).href)).json();
      assert.ok(json.entries.some((e) => e.action === "rollback" && e.revision === 5));
    });

    await t.test("an expired session brings back the sign-in screen, and the work goes on after it", async () => {
      await page.locator("#nav-editor").click();
      await replaceText(page, `${seed.trimEnd()}\n`);
      server.state.sessions.clear();
      await page.locator("button[name=save]").click();
      await page.locator("#signin-token").waitFor();
      await signIn(page);
      assert.equal(await page.locator("[data-testid=editor]").isVisible(), true);
      // The editor validates 500 ms after a change (here: after the sign-in); let that call
      // finish before the session expires again, so the 401 below is the publish's own.
      const validated = page.waitForResponse((r) => r.url().endsWith("/api/validate"), { timeout: 3000 }).catch(() => null);
      await page.locator("button[name=save]").click();
      await notice(page, "Draft saved.");
      await validated;
      // With the publish dialog open: it closes for the sign-in, and the message is still there after.
      server.state.sessions.clear();
      await page.locator("button[name=publish]").click();
      await page.locator("#publish-message").fill("Back to the demo rules");
      await page.locator("button[name=publish-confirm]").click();
      await page.locator("#signin-token").waitFor();
      assert.equal(await page.locator("[data-testid=publish-dialog]").isVisible(), false);
      await signIn(page);
      await page.locator("button[name=publish]").click();
      assert.equal(await page.locator("#publish-message").inputValue(), "Back to the demo rules");
      await page.keyboard.press("Escape");
      await page.locator("[data-testid=publish-dialog]").waitFor({ state: "hidden" });
      await page.locator("button[name=publish]").click();
      await page.locator("button[name=publish-confirm]").click();
      await notice(page, "Published revision 6");
    });

    await t.test("sign out", async () => {
      await page.locator("button[name=signout]").click();
      await page.locator("#signin-token").waitFor();
    });

    assert.deepEqual(errors, [], "no script errors or CSP violations");
  } finally {
    await context.close();
    await server.close();
  }
});

test("another console prefix: pages and API calls follow it", async () => {
  const server = await startDevServer({ port: 0, prefix: "/shop-admin/" });
  const { context, page, errors, calls } = await open(server);
  try {
    await signIn(page);
    await page.locator("[data-testid=overview-rules] tr[data-id=black-friday-bar]").waitFor();
    await page.locator("#nav-audit").click();
    await page.locator("[data-testid=audit] tr[data-action=sign_in]").waitFor();
    assert.equal(await page.locator("[data-testid=audit-export-csv]").getAttribute("href"), "/shop-admin/api/audit?format=csv");
    assert.ok(calls.length > 3);
    assert.deepEqual(calls.filter((p) => !p.startsWith("/shop-admin/api/")), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("behind Cloudflare Access the console opens without a sign-in", async () => {
  const server = await startDevServer({ port: 0, access: true });
  const { context, page, errors } = await open(server);
  try {
    await page.locator("[data-testid=me]").filter({ hasText: "ana@shop.example" }).waitFor();
    assert.equal(await page.locator("#signin").isVisible(), false);
    assert.equal(await page.locator("button[name=signout]").isVisible(), false, "Access signs out, not the console");
    await page.locator("[data-testid=overview-rules] tr[data-id=black-friday-bar]").waitFor();
    // The keyboard alone: Tab to the History link, Enter, and the focus lands on the screen's title.
    for (let i = 0; i < 12 && (await page.evaluate(() => document.activeElement?.id)) !== "nav-history"; i++) await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "nav-history");
    await shot(page, "12-keyboard-focus");
    await page.keyboard.press("Enter");
    await page.locator("[data-testid=history] tr[data-revision='1']").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "history-title");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("a marketer reads an experiment's results, switches the engine, sees an SRM warning, and ships the winner as a draft", async (t) => {
  const server = await startDevServer({ port: 0, seed: withDemoExperiments() });
  const { context, page, errors } = await open(server);
  const stored = (name) => JSON.parse(readFileSync(join(ROOT, "fixtures", "results", "demo", name), "utf8"));
  const asked = [];
  page.on("request", (r) => { if (r.url().includes("/api/results/")) asked.push(new URL(r.url()).pathname + new URL(r.url()).search); });
  const cells = (goal, variation) => page.locator(`[data-testid=results-metric][data-goal=${goal}] [data-testid=results-table] tr[data-variation=${variation}] td`).allTextContents();
  try {
    await signIn(page);

    await t.test("the overview links each experiment to its results", async () => {
      const link = page.locator("[data-testid=overview-experiments] tr[data-id=product-reviews-first] a[data-testid=results-link]");
      await link.click();
      await page.locator("[data-testid=results][data-state=ready]").waitFor();
      assert.equal(new URL(page.url()).hash, "#/results/product-reviews-first");
      assert.deepEqual(asked, ["/__veneer/api/results/product-reviews-first?engine=bayesian"]);
    });

    const bayes = stored("product-reviews-first.bayesian.json");
    await t.test("the table: users, conversions, rate, effect with its interval, chance to win, verdict", async () => {
      assert.equal(await page.locator("[data-testid=results-metric]").count(), bayes.metrics.length);
      assert.deepEqual(await page.locator("[data-testid=results-metric]").evaluateAll((els) => els.map((e) => e.dataset.goal)), bayes.metrics.map((m) => m.goal));
      // As `veneer results` prints it for the same counts: 598 of 6158, 9.71%, +19.9% [+6.4%, +33.5%], 99.8%.
      assert.deepEqual(await cells("add_to_cart", "reviews-first"), ["6,158", "598", "9.71%", "+19.9% [+6.4%, +33.5%]", "99.8%", "Better"]);
      assert.deepEqual(await cells("add_to_cart", "control"), ["6,212", "503", "8.10%", "baseline", "", ""]);
      assert.deepEqual(await cells("bounce", "reviews-first"), ["6,158", "2,480", "40.27%", "-4.1% [-8.2%, -0.1%]", "97.8%", "Better"]);
      const order = bayes.metrics.find((m) => m.goal === "order").variations[1];
      assert.equal((await cells("order", "reviews-first"))[1], order.total.toLocaleString("en-GB"));
      assert.match(await page.locator("[data-testid=results-summary]").textContent(), /12,370 users in 2 variations · sample ratio ok/);
      assert.equal(await page.locator("[data-testid=srm-warning]").count(), 0);
    });

    await t.test("the charts: an effect bar per compared variation and metric, a line per variation over the days", async () => {
      const charts = page.locator("svg[data-testid=effect-chart]");
      assert.equal(await charts.count(), bayes.metrics.length);
      for (const m of bayes.metrics) {
        const chart = page.locator(`svg[data-testid=effect-chart][data-goal=${m.goal}]`);
        assert.equal(await chart.locator("[data-testid=effect-bar]").count(), m.variations.length - 1, m.goal);
        assert.equal(await chart.locator("g[data-testid=effect-row][data-variation=reviews-first]").getAttribute("data-verdict"), m.variations[1].comparison.verdict);
      }
      // The interval's bar spans its interval: the zero line is left of add_to_cart's bar (all above 0).
      const geometry = await page.locator("svg[data-testid=effect-chart][data-goal=add_to_cart]").evaluate((svg) => {
        const bar = svg.querySelector("[data-testid=effect-bar]");
        const zero = svg.querySelector("line.zero");
        return { bar: Number(bar.getAttribute("x")), zero: Number(zero.getAttribute("x1")) };
      });
      assert.ok(geometry.zero < geometry.bar, JSON.stringify(geometry));
      const users = page.locator("[data-testid=users-chart][data-drawn=true]");
      await users.waitFor();
      assert.equal(await users.getAttribute("data-series"), "2");
      assert.equal(await users.getAttribute("data-days"), String(bayes.days.length));
      assert.equal(await users.locator("canvas").count(), 1);
      // uPlot's legend: the x series and one per variation.
      assert.deepEqual(await users.locator(".u-legend .u-series .u-label").allTextContents(), ["Day", "control", "reviews-first"]);
      assert.equal(await page.locator("[data-testid=users-table] tbody tr").count(), bayes.days.length);
      await shot(page, "13-results");
    });

    await t.test("the engine switch asks the API for frequentist results and shows p-values", async () => {
      await page.locator("label[for=results-engine-frequentist]").click();
      await page.locator("[data-testid=results-summary][data-engine=frequentist]").waitFor();
      assert.equal(asked.at(-1), "/__veneer/api/results/product-reviews-first?engine=frequentist");
      const f = stored("product-reviews-first.frequentist.json").metrics[0].variations[1].comparison.relative;
      const row = await cells("add_to_cart", "reviews-first");
      assert.equal(row[4], f.p_value < 0.0001 ? "< 0.0001" : f.p_value.toFixed(4));
      assert.match(await page.locator("[data-testid=results-metric][data-goal=add_to_cart] thead").textContent(), /p-value/);
      assert.equal(await page.locator("[data-testid=results-engine-note]").isVisible(), false, "the API applied the engine");
      await page.locator("label[for=results-engine-bayesian]").click();
      await page.locator("[data-testid=results-summary][data-engine=bayesian]").waitFor();
    });

    await t.test("a sample-ratio mismatch is a warning above the numbers, and in the ship dialog", async () => {
      await page.goto(`${server.consoleUrl}#/results/checkout-trust-badge`);
      const warning = page.locator("[data-testid=srm-warning]");
      await warning.waitFor();
      assert.match(await warning.textContent(), /Sample ratio mismatch.*cannot be trusted/s);
      assert.equal(await warning.getAttribute("role"), "alert");
      await shot(page, "14-results-srm");
      await page.locator("button[name=ship-winner]").click();
      await page.locator("[data-testid=ship-dialog] [data-testid=ship-warning]").filter({ hasText: "sample ratio" }).waitFor();
      await page.keyboard.press("Escape");
      await page.locator("[data-testid=ship-dialog]").waitFor({ state: "hidden" });
    });

    await t.test("an experiment that just started says there is not enough data", async () => {
      await page.locator("#nav-overview").click();
      await page.locator("[data-testid=overview-experiments] tr[data-id=free-shipping-bar] a[data-testid=results-link]").click();
      await page.locator("[data-testid=results][data-state=ready] [data-testid=results-not-enough]").waitFor();
      assert.match(await page.locator("[data-testid=results-not-enough]").textContent(), /Not enough data yet: 12 users/);
      assert.deepEqual(await cells("add_to_cart", "bar-top"), ["3", "1", "33.33%", "not enough data: the baseline's mean is 0", "–", "Not enough data"]);
      const chart = page.locator("svg[data-testid=effect-chart][data-goal=add_to_cart]");
      assert.equal(await chart.locator("g[data-testid=effect-row]").count(), 2);
      assert.equal(await chart.locator("[data-testid=effect-bar]").count(), 0, "no interval to draw");
      await accessible(page, "results, not enough data");
    });

    await t.test("stop and ship the winner: a draft with the experiment stopped, which validates", async () => {
      await page.goto(`${server.consoleUrl}#/results/product-reviews-first`);
      await page.locator("[data-testid=results][data-state=ready]").waitFor();
      await page.locator("button[name=ship-winner]").click();
      const dialog = page.locator("[data-testid=ship-dialog]");
      await dialog.waitFor();
      assert.equal(await dialog.locator("input[name=ship-variation]:checked").getAttribute("value"), "reviews-first", "the better variation is suggested");
      assert.match(await dialog.locator("[data-testid=ship-what]").textContent(), /stops and every visitor on its pages gets variation "reviews-first"/);
      await shot(page, "15-results-ship");
      assert.equal(server.state.draft, null);
      await dialog.locator("button[name=ship-confirm]").click();
      await page.locator("[data-testid=ship-done][data-winner=reviews-first]").waitFor();
      await notice(page, /stopped and "reviews-first" for everyone/);
      const draft = server.state.draft;
      assert.equal(draft.author, "Mara Marketer");
      const x = JSON.parse(draft.document).experiments.find((e) => e.id === "product-reviews-first");
      assert.deepEqual([x.status, x.winner], ["stopped", "reviews-first"]);
      assert.deepEqual(validate(draft.document), [], "the mock validates the draft");
      assert.equal(server.state.revisions.length, 1, "nothing is published");
      assert.equal(server.state.audit.at(-1).action, "save");
      // The editor opens the draft, which has no problems; inside the experiment it links back to its results.
      await page.locator("[data-testid=ship-done] a").click();
      await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
      // The experiments are at the end of the document (CodeMirror renders only what is in view):
      // from the end, page up to the new line.
      await page.locator("[data-testid=editor] .cm-content").click();
      await page.keyboard.press("ControlOrMeta+End");
      const winnerLine = page.locator("[data-testid=editor] .cm-line", { hasText: '"winner": "reviews-first"' });
      for (let i = 0; i < 20 && !(await winnerLine.count()); i++) await page.keyboard.press("PageUp");
      await winnerLine.waitFor();
      await winnerLine.click();
      const back = page.locator("[data-testid=editor-results-link]");
      await back.waitFor();
      assert.equal(await back.getAttribute("href"), "#/results/product-reviews-first");
      await back.click();
      await page.locator("[data-testid=results][data-state=ready]").waitFor();
    });

    assert.deepEqual(errors, [], "no script errors or CSP violations");
  } finally {
    await context.close();
    await server.close();
  }
});

test("the visual editor and the task forms (against the mock: the frame shows the origin's page)", async () => {
  const server = await startDevServer({ port: 0 });
  const { context, page, errors } = await open(server);
  try {
    await signIn(page);
    await page.locator("#nav-visual").click();
    const frame = page.frameLocator("#visual-frame");
    await frame.locator("[data-testid=preview-badge]").waitFor();
    await frame.locator(".hero h1").hover();
    await page.locator("[data-testid=visual-hover]:not([hidden])").waitFor();
    await frame.locator(".hero h1").click();
    await page.locator("[data-testid=visual-selection]:not([hidden])").waitFor();
    assert.equal(await page.locator("#visual-selector").inputValue(), ".hero h1");
    await page.locator("[data-testid=visual-match-count][data-count='1']").waitFor();
    await page.locator("[data-testid=visual-validator][data-state=ok]").waitFor();
    // Without a mouse: select by a selector, then walk with the arrows.
    await page.locator("#visual-find").fill(".promo-bar p");
    await page.locator("button[name=visual-find]").click();
    assert.equal(await page.locator("#visual-selector").inputValue(), ".promo-bar p");
    await frame.locator(".hero h1").click();
    // The breadcrumb and the arrows walk the tree.
    await page.locator("button[name=select-next]").click();
    assert.equal(await page.locator("#visual-selector").inputValue(), ".hero-sub");
    await page.locator("button[name=select-parent]").click();
    assert.equal(await page.locator("#visual-selector").inputValue(), ".hero");
    assert.match(await page.locator("[data-testid=visual-breadcrumb]").textContent(), /body.*main#content.*section\.hero/);
    await page.locator("[data-testid=visual-changes] [data-testid=visual-change]").first().waitFor();
    await shot(page, "13-visual-editor");
    // Apply writes the action into the draft (a new rule for this page) and reloads the frame.
    await page.locator("button[name=select-child]").click();
    await page.locator("#visual-action").selectOption("set_text");
    await page.locator("#visual-text").fill("Hello");
    await page.locator("button[name=visual-apply]").click();
    await page.locator("[data-testid=visual-timing][data-ms]").waitFor();
    const draft = JSON.parse(server.state.draft.document);
    assert.deepEqual(draft.rules.at(-1), { id: "visual-home", pages: ["/"], description: "Made in the visual editor", actions: [{ select: ".hero h1", set_text: "Hello" }] });
    await page.locator("button[name=visual-undo]:not([disabled])").click();
    await page.waitForFunction(() => !document.querySelector("button[name=visual-undo]:not([disabled])"));
    assert.ok(!JSON.parse(server.state.draft.document).rules.some((r) => r.id === "visual-home"), "undone");

    await page.locator("#nav-forms").click();
    for (const task of ["promo", "copy", "experiment", "audience"]) {
      await page.locator(`button[name=task-${task}]`).click();
      await page.locator(`[data-testid=task-${task}]:not([hidden])`).waitFor();
      await shot(page, `14-task-${task}`);
    }
    // A new rule may not take an existing rule's id (it would replace it).
    await page.locator("button[name=task-copy]").click();
    await page.locator("#copy-open").selectOption("");
    await page.locator("#copy-id").fill(JSON.parse(server.state.draft.document).rules[0].id);
    await page.locator("button[name=copy-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "There is already a rule" }).waitFor();
    await page.locator("button[name=task-audience]").click();
    await page.locator("#aud-aud-country").fill("DE");
    await page.locator("input[name=aud-aud-device][value=mobile]").check();
    await page.locator("[data-testid=task-audience] button[name=who-matches]").click();
    await page.locator("[data-testid=task-audience] [data-testid=who-matches] li[data-profile=de-mobile][data-matches=true]").waitFor();
    assert.equal(await page.locator("[data-testid=task-audience] [data-testid=who-matches] li[data-matches=false]").count(), 2);
    await accessible(page, "the audience builder with results");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

for (const file of readdirSync(join(ROOT, "fixtures", "rules")).filter((f) => f.endsWith(".json"))) test(`the forms save every rule, experiment and audience of ${file} unchanged`, async () => {
  const server = await startDevServer({ port: 0 });
  const doc = JSON.parse(readFileSync(join(ROOT, "fixtures", "rules", file), "utf8"));
  doc.experiments = [{ id: "hero", pages: ["/"], coverage: 0.8, audience: { country: { $in: ["DE", "AT"] }, "cookies.ab": { $exists: true } }, schedule: { start: "2026-11-27T00:00:00+01:00" }, variations: [{ id: "control", weight: 0.4 }, { id: "b", weight: 0.6, actions: [{ select: ".hero h1", set_text: "B" }] }], seed: "hero-2026", hash_version: 1, namespace: { id: "home", start: 0, end: 0.5 } }];
  const text = JSON.stringify(doc, null, 2);
  server.state.draft = { document: text, author: "test", time: new Date().toISOString() };
  const { context, page, errors } = await open(server);
  try {
    await signIn(page);
    await page.locator("#nav-forms").click();
    await page.locator("button[name=task-copy]").click();
    const editable = doc.rules.filter((r) => r.actions.some((a) => a.select !== undefined && ["set_text", "set_html", "remove"].some((k) => k in a)));
    for (const rule of editable) {
      await page.locator("#copy-open").selectOption(rule.id);
      await page.locator("button[name=copy-save]").click();
      await page.locator("[data-testid=forms-status]").filter({ hasText: `rule ${rule.id}.` }).waitFor({ timeout: 3000 }).catch(async () => { throw new Error(`${rule.id}: ${await page.locator("[data-testid=forms-status]").textContent()} / ${await page.locator("[data-testid=error]").textContent()}`); });
      await page.locator("[data-testid=forms-status]").evaluate((e) => { e.textContent = ""; });
    }
    await page.locator("button[name=task-experiment]").click();
    await page.locator("#exp-open").selectOption("hero");
    await page.locator("button[name=exp-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "experiment hero." }).waitFor();
    const merch = doc.rules.filter((r) => r.search === undefined && hasMerch(r));
    const searches = doc.rules.filter((r) => r.search !== undefined);
    for (const [task, rules] of [["merch", merch], ["search", searches]]) {
      await page.locator(`button[name=task-${task}]`).click();
      for (const rule of rules) {
        await page.locator(`#${task}-open`).selectOption(rule.id);
        await page.locator(`button[name=${task}-save]`).click();
        await page.locator("[data-testid=forms-status]").filter({ hasText: `rule ${rule.id}.` }).waitFor();
        await page.locator("[data-testid=forms-status]").evaluate((e) => { e.textContent = ""; });
      }
    }
    await page.locator("button[name=task-audience]").click();
    for (const name of Object.keys(doc.audiences || {})) {
      await page.locator("#aud-open").selectOption(name);
      await page.locator("button[name=aud-save]").click();
      await page.locator("[data-testid=forms-status]").filter({ hasText: `audience ${name}.` }).waitFor();
      await page.locator("[data-testid=forms-status]").evaluate((e) => { e.textContent = ""; });
    }
    assert.equal(server.state.draft.document, text, "saved through every form, the draft is the same text");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("the commerce forms: merchandise the category grid, and send a search term to a landing page", async () => {
  const server = await startDevServer({ port: 0 });
  const text = readFileSync(join(ROOT, "fixtures", "rules", "demo.json"), "utf8");
  const doc = JSON.parse(text);
  server.state.draft = { document: JSON.stringify(doc, null, 2), author: "test", time: new Date().toISOString() };
  const { context, page, errors } = await open(server);
  const draft = () => JSON.parse(server.state.draft.document);
  try {
    await signIn(page);
    await page.locator("#nav-forms").click();
    await page.locator("button[name=task-merch]").click();
    // An existing commerce rule loads back into the form: one row per product.
    await page.locator("#merch-open").selectOption("shoes-merchandising");
    const rows = page.locator("[data-testid=merch-products] tr");
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.sku)), ["TR-2102", "TR-2210", "TR-1955"]);
    assert.equal(await page.locator("#merch-row-0-pin").inputValue(), "1");
    assert.ok(await page.locator("#merch-row-1-hide").isChecked());
    assert.equal(await page.locator("#merch-row-2-was").inputValue(), "€139.00");
    assert.equal(await page.locator("#merch-badge-into").inputValue(), ".badge-slot");
    assert.equal(await page.locator("#merch-listing").inputValue(), "grid");
    await shot(page, "16-task-merch");
    // A new rule: pin one product to the top, hide another, a sale badge and a was price.
    await page.locator("#merch-open").selectOption("");
    await page.locator("#merch-id").fill("winter-shoes");
    for (let i = 0; i < 2; i += 1) await page.locator("button[name=merch-add-product]").click();
    await page.locator("#merch-row-0-sku").fill("TR-1830");
    await page.locator("#merch-row-0-pin").fill("1");
    await page.locator("#merch-row-0-badge").check();
    await page.locator("#merch-row-0-was").fill("€149.00");
    await page.locator("#merch-row-1-sku").fill("TR-2041");
    await page.locator("#merch-row-1-hide").check();
    // "Pin to the top" numbers the shown products 1, 2, … in the list's order.
    await page.locator("#merch-row-0-pin").fill("");
    await page.locator("button[name=merch-pin-top]").click();
    assert.equal(await page.locator("#merch-row-0-pin").inputValue(), "1");
    assert.equal(await page.locator("#merch-row-1-pin").inputValue(), "", "a hidden product is not pinned");
    await page.locator("button[name=merch-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "Give the badge's HTML" }).waitFor();
    await page.locator("#merch-badge-html").fill('<span class="badge">Winter</span>');
    await page.locator("button[name=merch-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "rule winter-shoes." }).waitFor();
    assert.deepEqual(draft().rules.at(-1), { id: "winter-shoes", pages: ["/c/*"], actions: [
      { pin: { listing: "grid", products: ["TR-1830"], at: 1 } },
      { hide: { listing: "grid", products: ["TR-2041"] } },
      { badge: { listing: "grid", products: ["TR-1830"], html: '<span class="badge">Winter</span>' } },
      { price: { listing: "grid", products: { "TR-1830": { was: "€149.00" } } } },
    ] });
    assert.deepEqual(draft().rules.slice(0, -1), doc.rules, "the other rules are unchanged");

    // Search terms: a search rule loads back; a new one redirects.
    await page.locator("button[name=task-search]").click();
    await page.locator("#search-open").selectOption("search-women-promote");
    assert.equal(await page.locator("#search-match").inputValue(), "any_word");
    assert.equal(await page.locator("#search-not").inputValue(), "kids");
    assert.deepEqual(await page.locator("[data-testid=search-products] tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.sku)), ["TR-2077"]);
    await page.locator("#search-open").selectOption("");
    await page.locator("#search-id").fill("voucher-search");
    await page.locator("#search-match").selectOption("contains");
    await page.locator("#search-terms").fill("voucher, gutschein");
    await page.locator("input[name=search-mode][value=redirect]").check();
    await page.locator("#search-redirect-to").fill("/p/gift-card");
    await shot(page, "17-task-search");
    await page.locator("button[name=search-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "rule voucher-search." }).waitFor();
    assert.equal(JSON.stringify(draft().rules.at(-1)), JSON.stringify({ id: "voucher-search", pages: ["/search"], search: { contains: ["voucher", "gutschein"] }, actions: [{ redirect: { to: "/p/gift-card", status: 302 } }] }));
    assert.deepEqual(validate(server.state.draft.document), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("the merchandising form defines the listing when the site has none", async () => {
  const server = await startDevServer({ port: 0 });
  server.state.draft = { document: JSON.stringify({ version: 1, rules: [] }, null, 2), author: "test", time: new Date().toISOString() };
  const { context, page, errors } = await open(server);
  try {
    await signIn(page);
    await page.locator("#nav-forms").click();
    await page.locator("button[name=task-merch]").click();
    await page.locator("[data-testid=merch-define-listing]:not([hidden])").waitFor();
    await page.locator("#merch-id").fill("shoes-first");
    await page.locator("button[name=merch-add-product]").click();
    await page.locator("#merch-row-0-sku").fill("TR-2210");
    await page.locator("#merch-row-0-pin").fill("1");
    await page.locator("#merch-def-container").fill("ul.product-grid");
    await page.locator("#merch-def-tile").fill(".product-tile");
    await accessible(page, "the merchandising form defining a listing");
    await page.locator("button[name=merch-save]").click();
    await page.locator("[data-testid=forms-status]").filter({ hasText: "rule shoes-first." }).waitFor();
    const saved = JSON.parse(server.state.draft.document);
    assert.deepEqual(saved.settings, { listings: { grid: { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" } } } });
    assert.deepEqual(saved.rules, [{ id: "shoes-first", pages: ["/c/*"], actions: [{ pin: { listing: "grid", products: ["TR-2210"], at: 1 } }] }]);
    await page.locator("[data-testid=merch-define-listing][hidden]").waitFor({ state: "attached" });
    assert.equal(await page.locator("#merch-listing").inputValue(), "grid");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
