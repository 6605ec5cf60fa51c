// One tenant's framework scorecard (issue 22): every control of a CIS v5.0.0 or SCuBA profile with
// its state — met, not met, partly assessed, not assessable (and why), not automated (listed, never
// hidden) — per section and overall the share met of those assessed. The states and the share
// come from the API (core/frameworks/scorecard.py), as the PDF and the CSV do.
import { download, get, query } from "../api.js";
import { go } from "../router.js";
import { h, label, mount, pageTitle } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

export const STATES = [
  ["met", "Met"],
  ["not_met", "Not met"],
  ["partly_assessed", "Partly assessed"],
  ["not_assessable", "Not assessable"],
  ["not_automated", "Not automated"],
];
const STATE_NAMES = Object.fromEntries(STATES);
const WHY = {
  licence: "the tenant's licences do not include it",
  permission: "ScanPosture lacks a permission or role to read it",
  source_error: "the service could not be read",
  not_scanned: "not scanned yet",
  manual: "needs a person to judge it",
};

// "82.5%" or "–" when nothing was assessed.
export function share(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(1)}%`;
}

export function shareCell(value) {
  // The band (good 80+, fair 50+, poor) as a word in the title too, so colour is never the only cue.
  const band = value === null || value === undefined ? "none" : value >= 80 ? "good" : value >= 50 ? "fair" : "poor";
  return h("td", { class: `num share share-${band}` }, share(value));
}

function stateBadge(state) {
  return h("span", { class: `badge control-${state}` }, STATE_NAMES[state] || state);
}

function profileNav(tenantId, card) {
  return h("nav", { class: "profiles", "aria-label": "Framework profiles" },
    h("ul", { class: "inline" }, card.profiles.map((p) => h("li", {},
      h("a", { href: `#/tenants/${tenantId}/scorecards/${p.key}`, "aria-current": p.key === card.profile ? "page" : null }, p.name)))));
}

function summary(card) {
  return h("section", { class: "card", "aria-labelledby": "share-h" },
    h("h2", { id: "share-h" }, "Share of controls met"),
    h("p", { class: "score-text", "data-testid": "share" }, share(card.share)),
    h("p", { class: "muted" }, card.assessed
      ? `${card.met} met of ${card.assessed} assessed (met or not met). Partly assessed, not assessable and not automated controls are not counted either way.`
      : "No control of this profile has been assessed yet."),
    h("ul", { class: "inline counts" }, STATES.map(([key, text]) =>
      h("li", {}, stateBadge(key), ` ${card.counts[key]}`, h("span", { class: "sr-only" }, ` ${text.toLowerCase()}`)))));
}

function sectionsTable(card) {
  return h("section", { class: "card", "aria-labelledby": "sections-h" },
    h("h2", { id: "sections-h" }, "By section"),
    h("div", { class: "scroll" }, h("table", { class: "data sections" },
      h("thead", {}, h("tr", {}, ["Section", "Share met", ...STATES.map(([, t]) => t)].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, card.sections.map((s) => h("tr", {},
        h("th", { scope: "row" }, s.section), shareCell(s.share),
        STATES.map(([key]) => h("td", { class: "num" }, String(s.counts[key])))))))));
}

function why(control) {
  if (control.state === "not_automated") return "No check automates this control yet.";
  const reasons = control.why.map((w) => WHY[w] || w);
  const partial = control.coverage === "partial" ? control.note : null;
  return [reasons.length ? `Not assessed: ${reasons.join("; ")}.` : null, partial].filter(Boolean).join(" ");
}

function profileText(control) {
  if (control.criticality) return control.criticality;
  return control.level ? `L${control.level} ${control.licence || ""}`.trim() : "";
}

function controlsTable(tenantId, card, wanted) {
  const rows = card.controls.filter((c) => !wanted || c.state === wanted);
  return h("section", { class: "card", "aria-labelledby": "controls-h" },
    h("h2", { id: "controls-h" }, "Controls"),
    h("div", { class: "scroll" }, h("table", { class: "data controls" },
      h("caption", {}, `${rows.length} of ${card.controls.length} controls`),
      h("thead", {}, h("tr", {}, ["Control", "State", "Profile", "Checks", "Why"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((c) => h("tr", { "data-control": c.id },
        h("th", { scope: "row" }, h("span", { class: "control-id" }, c.id), " ", c.title, h("br"), h("small", {}, c.section)),
        h("td", {}, stateBadge(c.state)),
        h("td", {}, profileText(c)),
        h("td", {}, c.checks.length
          ? h("ul", { class: "plain" }, c.checks.map((k) => h("li", {},
              h("a", { href: `#/tenants/${tenantId}/findings/${encodeURIComponent(k.checkId)}` }, k.title),
              ` (${k.status.replace("_", " ")}${k.accepted ? ", accepted" : ""})`)))
          : "–"),
        h("td", {}, why(c))))))));
}

function filters(tenantId, card, wanted) {
  const select = h("select", { name: "state" },
    h("option", { value: "" }, "Every control"),
    STATES.map(([key, text]) => h("option", { value: key, selected: key === wanted }, text)));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter controls" },
    label("Show", select), h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/tenants/${tenantId}/scorecards/${card.profile}${query({ state: select.value })}`);
  });
  const csv = h("button", { type: "button" }, "Download CSV");
  csv.addEventListener("click", () =>
    download(`/api/tenants/${encodeURIComponent(tenantId)}/scorecards/${card.profile}?format=csv`, `scorecard-${card.profile}.csv`));
  return h("div", { class: "toolbar" }, form, csv);
}

export async function scorecardPage(main, { tenantId, profile }, q = {}) {
  const [customer, card] = await Promise.all([
    loadCustomer(tenantId),
    get(`/api/tenants/${encodeURIComponent(tenantId)}/scorecards/${encodeURIComponent(profile)}`),
  ]);
  const wanted = STATE_NAMES[q.state] ? q.state : "";
  mount(main,
    pageTitle(`${customer.displayName}: ${card.name}`),
    tenantNav(tenantId, customer, `#/tenants/${tenantId}/scorecards/${card.profile}`),
    h("p", { class: "muted" }, card.title),
    profileNav(tenantId, card),
    summary(card),
    sectionsTable(card),
    filters(tenantId, card, wanted),
    controlsTable(tenantId, card, wanted));
}
