// The Veneer console: one page, seven screens behind hash routes (#/overview, #/visual,
// #/forms, #/editor, #/history, #/schedule, #/audit), an experiment's results
// (#/results/<experiment>), and the sign-in screen whenever the API answers 401.

import "./app.css";
import { prefix } from "./prefix.js";
import { ApiError, del, get, onUnauthorized, post } from "./api.js";
import { fill, h } from "./dom.js";
import { createOverview } from "./overview.js";
import { createEditorScreen } from "./editor.js";
import { createHistory } from "./history.js";
import { createSchedule } from "./schedule.js";
import { createAudit } from "./audit.js";
import { createResults } from "./results.js";
import { createVisual } from "./visual.js";
import { createForms } from "./forms.js";

prefix(); // computed while document.currentScript is still this script

/** What the screens share. */
const app = {
  me: null,
  status: null, // {live, serving, propagating}
  /** The live revision number the editor loaded (the `base` of a publish). */
  base: null,
  signedIn: false,
  notify,
  fail,
  refreshStatus,
  navigate: (route) => { location.hash = `#/${route}`; },
  screens: {},
};

// ---- notices ----------------------------------------------------------------------------------

const info = h("div", { id: "notice", class: "notice", role: "status", "aria-live": "polite", "data-testid": "notice" });
const error = h("div", { id: "error", class: "notice notice-error", role: "alert", "data-testid": "error", hidden: true });

let infoTimer;
/** A short message (kept for 8 s); `warn` for "done, but look": saved with problems. */
function notify(text, { warn = false } = {}) {
  fill(info, text);
  info.className = warn ? "notice notice-warn" : "notice";
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => fill(info), 8000);
}

/** An error message from an exception or text; stays until dismissed or the next success. */
function fail(e) {
  if (e instanceof ApiError && e.status === 401) return; // the sign-in screen says it
  const text = e instanceof Error ? e.message : String(e);
  fill(error, h("span", {}, text), " ", h("button", { type: "button", class: "link", onclick: () => { error.hidden = true; }, "aria-label": "Dismiss the error" }, "Dismiss"));
  error.hidden = false;
}

function clearError() {
  error.hidden = true;
  fill(error);
}

// ---- header -----------------------------------------------------------------------------------

const ROUTES = [
  ["overview", "Overview"],
  ["visual", "Visual editor"],
  ["forms", "Tasks"],
  ["editor", "Editor"],
  ["history", "History"],
  ["schedule", "Schedule"],
  ["audit", "Audit log"],
];

const navLinks = ROUTES.map(([route, label]) => h("a", { href: `#/${route}`, "data-route": route, id: `nav-${route}` }, label));
const liveBadge = h("span", { class: "live", "data-testid": "live-revision", "aria-live": "polite" }, "…");
const meLabel = h("span", { class: "me", "data-testid": "me" });
const signOut = h("button", { type: "button", name: "signout", class: "link", hidden: true, onclick: doSignOut }, "Sign out");
const accessOut = h("a", { href: "/cdn-cgi/access/logout", class: "link", hidden: true }, "Sign out");

const header = h("header", { class: "top" },
  h("a", { class: "brand", href: "#/overview" }, "Veneer", h("span", {}, " console")),
  h("nav", { "aria-label": "Console" }, navLinks),
  h("div", { class: "who" }, liveBadge, meLabel, signOut, accessOut),
);

const main = h("main", { id: "main", tabindex: "-1" });

// ---- sign-in ----------------------------------------------------------------------------------

const signinError = h("p", { id: "signin-error", class: "form-error", role: "alert", "data-testid": "signin-error" });
const tokenInput = h("input", { id: "signin-token", name: "token", type: "password", autocomplete: "current-password", required: true, "aria-describedby": "signin-error" });
const nameInput = h("input", { id: "signin-name", name: "name", type: "text", autocomplete: "username", required: true, maxLength: 100, value: localStorage.getItem("veneer-name") || "" });
const signinButton = h("button", { type: "submit", name: "signin", class: "primary" }, "Sign in");
const signinForm = h("form", { class: "signin-form", "aria-labelledby": "signin-title", onsubmit: doSignIn },
  h("h1", { id: "signin-title" }, "Sign in to the Veneer console"),
  h("p", { class: "hint" }, "Use the console's admin token. Teams behind Cloudflare Access are signed in by Access and never see this page."),
  h("label", { for: "signin-token" }, "Admin token"),
  tokenInput,
  h("label", { for: "signin-name" }, "Your name ", h("span", { class: "hint" }, "(shown in the audit log)")),
  nameInput,
  signinError,
  signinButton,
);
const signinScreen = h("section", { id: "signin", class: "signin", "data-testid": "signin", hidden: true }, signinForm);

function showSignIn(message) {
  app.signedIn = false;
  // An open dialog (publish, rollback) would sit over the sign-in form: close it; its text stays.
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  if (!signinScreen.hidden) return;
  header.hidden = true;
  main.hidden = true;
  signinScreen.hidden = false;
  fill(signinError, message && message !== "sign in" ? message : "");
  tokenInput.focus();
}

async function doSignIn(event) {
  event.preventDefault();
  signinButton.disabled = true;
  fill(signinError);
  try {
    const { data } = await post("session", { token: tokenInput.value, name: nameInput.value.trim() });
    localStorage.setItem("veneer-name", nameInput.value.trim());
    tokenInput.value = "";
    signinScreen.hidden = true;
    await start(data?.name);
  } catch (e) {
    fill(signinError, e.status === 401 ? `${e.message}: check the token and try again.` : e.message);
    tokenInput.select();
  } finally {
    signinButton.disabled = false;
  }
}

async function doSignOut() {
  try {
    await del("session");
  } catch (e) {
    if (e.status !== 401) return fail(e);
  }
  app.me = null;
  showSignIn("");
}

onUnauthorized((message) => showSignIn(message));

// ---- live status ------------------------------------------------------------------------------

let statusTimer;
async function refreshStatus() {
  clearTimeout(statusTimer);
  if (!app.signedIn) return;
  try {
    const { data } = await get("status");
    app.status = data;
    renderStatus();
  } catch (e) {
    if (e.status === 401) return;
    shownStatus = "";
    fill(liveBadge, "Live: unknown");
    liveBadge.title = e.message;
  }
  const again = app.status?.propagating ? 3000 : 30000;
  statusTimer = setTimeout(() => { if (document.visibilityState === "visible") refreshStatus(); else statusTimer = setTimeout(refreshStatus, again); }, again);
}

let shownStatus = "";
function renderStatus() {
  const s = app.status || {};
  // Only touch the (aria-live) badge when something changed, so polling announces nothing.
  const key = JSON.stringify([s.live, s.serving, s.propagating]);
  if (key === shownStatus) return;
  shownStatus = key;
  liveBadge.dataset.revision = s.live ?? "";
  liveBadge.dataset.propagating = s.propagating ? "true" : "false";
  if (s.live === null || s.live === undefined) {
    fill(liveBadge, "Nothing published yet");
  } else if (s.propagating) {
    fill(liveBadge, `Live: revision ${s.live}`, h("span", { class: "propagating", "data-testid": "propagating" }, " propagating…"));
    liveBadge.title = `The site still serves ${s.serving === null || s.serving === undefined ? "the previous rules" : `revision ${s.serving}`} in some places; KV takes up to a minute to reach every location.`;
  } else {
    fill(liveBadge, `Live: revision ${s.live}`);
    liveBadge.title = "Every location serves this revision";
  }
}

// ---- routes -----------------------------------------------------------------------------------

let current = null;

function route() {
  const name = (location.hash.match(/^#\/([a-z]+)/) || [])[1] || "overview";
  return app.screens[name] ? name : "overview";
}

async function show(name, { focus = true } = {}) {
  const screen = app.screens[name];
  for (const [n, s] of Object.entries(app.screens)) s.el.hidden = n !== name;
  for (const a of navLinks) {
    if (a.dataset.route === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${screen.title} · Veneer console`;
  const changed = current !== name;
  current = name;
  if (changed) clearError();
  if (focus && changed) screen.el.querySelector("h1")?.focus({ preventScroll: true });
  try {
    await screen.enter?.();
  } catch (e) {
    fail(e);
  }
}

window.addEventListener("hashchange", () => { if (app.signedIn) show(route()); });

/** Signed in: load who we are and the current screen. */
async function start(name) {
  try {
    const { data } = await get("me");
    app.me = data;
  } catch (e) {
    if (e.status === 401) return;
    app.me = { name: name || "", via: "token" };
    fail(e);
  }
  app.signedIn = true;
  fill(meLabel, app.me?.name || "");
  signOut.hidden = app.me?.via !== "token";
  accessOut.hidden = app.me?.via !== "access";
  header.hidden = false;
  main.hidden = false;
  refreshStatus();
  await show(route(), { focus: false });
}

// ---- the page ---------------------------------------------------------------------------------

const screens = {
  overview: createOverview(app),
  visual: createVisual(app),
  forms: createForms(app),
  editor: createEditorScreen(app),
  history: createHistory(app),
  schedule: createSchedule(app),
  audit: createAudit(app),
  results: createResults(app), // #/results/<experiment>: reached from experiments, not the nav
};
for (const [name, screen] of Object.entries(screens)) {
  screen.el.id = `screen-${name}`;
  screen.el.hidden = true;
  screen.el.querySelector("h1")?.setAttribute("tabindex", "-1");
  app.screens[name] = screen;
  main.append(screen.el);
}

const root = document.getElementById("app") || document.body;
header.hidden = true;
main.hidden = true;
fill(root, h("a", { class: "skip", href: "#main", onclick: (e) => { e.preventDefault(); main.focus(); } }, "Skip to the content"), header, h("div", { class: "notices" }, error, info), signinScreen, main);

window.addEventListener("beforeunload", (event) => {
  if (app.screens.editor.dirty?.()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

start();
