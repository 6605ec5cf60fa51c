import { clearFieldErrors, showFieldErrors } from "./forms.js";

// Small DOM helpers. Everything is built with createElement/textContent (never innerHTML with
// data), so API values cannot inject markup and no inline handlers are needed under the CSP.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function mount(target, ...nodes) {
  target.replaceChildren(...nodes.flat(Infinity).filter(Boolean));
}

export function loading(what = "Loading") {
  return h("p", { class: "loading", role: "status" }, `${what}…`);
}

export function errorBox(error, retry) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, "Something went wrong: "), error?.message || String(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}

export function when(value) {
  if (!value) return "never";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

// The posture score as every surface shows it: one decimal ("72.0", "72.5"), like the PDF, the
// mail and the CSV (core/scan/scoring.py format_score), so the portal never says 73 for 72.5.
export function score(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(1);
}

// A change of posture score with its sign: "+2.5", "-1.0"; "" when there is none to show.
export function scoreChange(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "";
  const text = value.toFixed(1);
  return text === "0.0" || text === "-0.0" ? "0.0" : `${value > 0 ? "+" : ""}${text}`;
}

export function label(text, control, hint) {
  // A checkbox reads best beside its text; other controls go under theirs.
  if (control.type === "checkbox") return h("label", { class: "check" }, control, h("span", {}, text));
  return h("label", { class: "field" }, h("span", {}, text), control, hint ? h("small", {}, hint) : null);
}

export function pageTitle(text, ...extra) {
  document.title = `${text} · ScanPosture`;
  return h("div", { class: "page-head" }, h("h1", {}, text), ...extra);
}

export function stateBadge(state) {
  return h("span", { class: `badge state-${state}` }, state.replaceAll("_", " "));
}

export function severityBadge(severity) {
  return h("span", { class: `badge sev-${severity}` }, severity);
}

// Runs an async action from a button: disables it meanwhile and shows the outcome next to it.
export async function act(button, output, work) {
  button.disabled = true;
  output.textContent = "Working…";
  output.className = "outcome";
  // In a form, what the API says about one of its fields goes beside that field (forms.js).
  const form = button.closest("form");
  if (form) clearFieldErrors(form);
  try {
    const message = await work();
    output.textContent = message || "Done.";
  } catch (error) {
    const rest = form && error.fields?.length ? showFieldErrors(form, error) : error.message;
    output.textContent = `Failed: ${rest || "correct the fields marked above."}`;
    output.className = "outcome failed";
  } finally {
    button.disabled = false;
  }
}

// Score bands (good, fair, poor) come from the API (GET /api/config, core/scan/scoring.py), so the
// tenant gauge, the fleet's pills, tiles and chart share one set of thresholds. Set at start.
let scoreBands = [];

export function setScoreBands(bands) {
  scoreBands = [...(bands || [])].sort((a, b) => b.min - a.min);
}

// Every band, best first: [{band, label, min}].
export function allScoreBands() {
  return scoreBands;
}

// The band of a score ({band, label, min}), or null without a score.
export function scoreBand(value) {
  if (value === null || value === undefined) return null;
  return scoreBands.find((b) => value >= b.min) || scoreBands[scoreBands.length - 1] || null;
}

// "80–100", "50–79.9", "0–49.9": the scores a band holds (scores have one decimal).
export function bandRange(band) {
  const i = scoreBands.findIndex((b) => b.band === band);
  if (i < 0) return "";
  const top = i === 0 ? "100" : (scoreBands[i - 1].min - 0.1).toFixed(1);
  return `${scoreBands[i].min}–${top}`;
}

export function scorePill(value) {
  const band = scoreBand(value);
  return h("span", { class: `pill${band ? ` band-${band.band}` : ""}`, title: band ? `${band.label} (${bandRange(band.band)})` : null }, score(value));
}

// Relative times: "3 days ago", with the exact time on hover (see timeAgo).
const TIME_UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60]];
// Up to this many of a unit before the next larger one is used: "13 days ago", then "2 weeks ago".
const TIME_LIMITS = { minute: 60, hour: 24, day: 14, week: 9, month: 12 };

export function ago(value, now = Date.now()) {
  if (!value) return "never";
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return String(value);
  const seconds = (now - then) / 1000;
  if (Math.abs(seconds) < 60) return "just now";
  const words = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });
  // From the smallest unit up; years have no limit, so the loop always answers.
  for (const [unit, size] of [...TIME_UNITS].reverse()) {
    const count = Math.floor(Math.abs(seconds) / size);
    if (count < (TIME_LIMITS[unit] ?? Infinity)) return words.format(Math.sign(-seconds) * count, unit);
  }
  return when(value);
}

export function timeAgo(value, now = Date.now()) {
  if (!value) return h("span", {}, "never");
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return h("span", {}, String(value));
  return h("time", { datetime: d.toISOString(), title: d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" }) }, ago(value, now));
}
