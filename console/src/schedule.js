// Schedule: publish the draft (as it is then) at a chosen local time; show or cancel the pending one.

import { del, get, post } from "./api.js";
import { fill, formatLocal, h, time } from "./dom.js";

/** "2026-12-01T10:30" in the browser's zone → "2026-12-01T09:30:00Z" (RFC 3339, UTC). */
export function localToUtc(value) {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A Date as the value of a datetime-local input, in the browser's zone. */
export function toLocalInput(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "UTC+02:00": the browser's offset from UTC at that moment (it changes with summer time). */
export function offsetAt(d) {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function zoneName() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
}

export function createSchedule(app) {
  const pending = h("div", { class: "scheduled", "data-testid": "scheduled", "aria-live": "polite" });
  const at = h("input", { id: "schedule-at", name: "at", type: "datetime-local", required: true, "aria-describedby": "schedule-at-utc" });
  const utc = h("p", { id: "schedule-at-utc", class: "hint", "data-testid": "schedule-utc" });
  const message = h("input", { id: "schedule-message", name: "message", type: "text", required: true, maxLength: 500, placeholder: "Black Friday goes live" });
  const formError = h("p", { class: "form-error", role: "alert", "data-testid": "schedule-error" });
  const unsaved = h("p", { class: "warning", "data-testid": "schedule-unsaved", hidden: true });
  const button = h("button", { type: "submit", name: "schedule", class: "primary" }, "Schedule the publish");
  const form = h("form", { class: "form", noValidate: true, "aria-labelledby": "schedule-form-title", onsubmit: (e) => { e.preventDefault(); schedule(); } },
    h("h2", { id: "schedule-form-title" }, "Publish the draft later"),
    h("p", { class: "hint" }, "At that moment the draft, as it is saved then, is published like any publish (if it has problems then, nothing is published)."),
    unsaved,
    h("label", { for: "schedule-at" }, "When ", h("span", { class: "hint", "data-testid": "schedule-zone" }, `(your time: ${zoneName()})`)),
    at,
    utc,
    h("label", { for: "schedule-message" }, "Message (for History and the audit log)"),
    message,
    formError,
    button,
  );
  const el = h("section", { class: "screen", "aria-labelledby": "schedule-title" },
    h("h1", { id: "schedule-title" }, "Schedule"),
    h("h2", {}, "Pending"),
    pending,
    form,
  );

  at.addEventListener("input", () => {
    const v = localToUtc(at.value);
    fill(utc, v ? `That is ${v} (UTC; ${zoneName()} is ${offsetAt(new Date(v))} then).` : "");
  });

  function render(s) {
    el.dataset.scheduled = s ? "true" : "false";
    if (!s) {
      fill(pending, h("p", { class: "muted" }, "Nothing is scheduled."));
      return;
    }
    fill(pending,
      h("p", {}, "The draft will be published at ", h("strong", {}, time(s.at)), ` (${s.at})`, s.by ? ` — scheduled by ${s.by}` : "", "."),
      s.message ? h("p", {}, "Message: “", s.message, "”") : null,
      s.base !== undefined && s.base !== null ? h("p", { class: "hint" }, `Based on live revision ${s.base}.`) : null,
      h("button", { type: "button", name: "unschedule", onclick: () => unschedule() }, "Cancel the scheduled publish"),
    );
  }

  async function schedule() {
    fill(formError);
    const when = localToUtc(at.value);
    if (!when) return fill(formError, "Choose a date and a time.");
    if (new Date(when).getTime() <= Date.now()) return fill(formError, "Choose a time in the future.");
    if (!message.value.trim()) return fill(formError, "Say what the publish is for.");
    button.disabled = true;
    try {
      const base = app.base ?? app.status?.live ?? null;
      const { data } = await post("schedule", { at: when, message: message.value.trim(), base });
      render(data?.scheduled ?? null);
      message.value = "";
      app.notify(`Scheduled: the draft will be published at ${formatLocal(new Date(when))}.`);
    } catch (e) {
      fill(formError, e.message);
    } finally {
      button.disabled = false;
    }
  }

  async function unschedule() {
    try {
      const { data } = await del("schedule");
      render(data?.scheduled ?? null);
      app.notify("The scheduled publish is cancelled.");
    } catch (e) {
      app.fail(e);
    }
  }

  return {
    title: "Schedule",
    el,
    async enter() {
      if (!at.value) {
        const d = new Date(Date.now() + 60 * 60 * 1000);
        d.setMinutes(0, 0, 0);
        at.value = toLocalInput(d);
        at.dispatchEvent(new Event("input"));
      }
      at.min = toLocalInput(new Date());
      const isDirty = app.screens.editor.dirty?.();
      unsaved.hidden = !isDirty;
      if (isDirty) fill(unsaved, "The editor has unsaved changes: only what is saved is published. ", h("a", { href: "#/editor" }, "Go back and save"), ".");
      const { data } = await get("schedule");
      render(data?.scheduled ?? null);
    },
  };
}
