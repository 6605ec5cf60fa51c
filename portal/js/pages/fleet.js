// The fleet: at a glance (tiles over the whole fleet, each a link to the table filtered to what it
// counts, and the score distribution), then every customer of the MSP with score, change, last
// scan, open priorities, trend and connection state. Sorting and filtering happen in the API (the
// URL keeps them, so they survive reloads); the tile figures are the API's too (`summary`).
import { download, get, query } from "../api.js";
import { distributionChart, sparkline } from "../charts.js";
import { go } from "../router.js";
import { may } from "../session.js";
import { act, allScoreBands, bandRange, h, label, mount, pageTitle, scorePill, stateBadge, timeAgo } from "../ui.js";
import { connectionLostBanner } from "./reconnect.js";
import { actionsCell, managesCustomers, tagChips, tagSelect } from "./customer_actions.js";

const SORTS = [["name", "Name"], ["score", "Posture score"], ["lastScan", "Last scan"], ["openPriority", "Open priorities"], ["failing", "Failing checks"], ["state", "Connection"]];
const STATES = [["", "Any"], ["connected", "Connected"], ["pending_consent", "Waiting for consent"], ["connection_lost", "Connection lost"]];
const BANDS = [["", "Any"], ["good", "Good"], ["fair", "Fair"], ["poor", "Poor"], ["unscored", "No score yet"]];
const AGES = [["", "Any"], ["true", "Older than 7 days"], ["false", "Within 7 days"]];
const PRIORITIES = [["", "Any"], ["open", "Some open"]];
// What the table may be filtered and sorted by: the API's query parameters, kept in the URL.
const PARAMS = ["name", "state", "tag", "band", "stale", "priorities", "sort", "order"];
const FILTERS = ["name", "state", "tag", "band", "stale", "priorities"];

function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

function filters(q, tags) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter customers" },
    label("Name", h("input", { type: "search", name: "name", value: q.name || "" })),
    label("Connection", select("state", STATES, q.state || "")),
    tagSelect(tags, q.tag),
    label("Score band", select("band", BANDS, q.band || "")),
    label("Last scan", select("stale", AGES, q.stale || "")),
    label("Open priorities", select("priorities", PRIORITIES, q.priorities || "")),
    label("Sort by", select("sort", SORTS, q.sort || "name")),
    label("Order", select("order", [["asc", "Ascending"], ["desc", "Descending"]], q.order || "asc")),
    h("button", { type: "submit" }, "Apply"),
    FILTERS.some((k) => q[k]) ? h("a", { href: "#/fleet", class: "clear" }, "Clear filters") : null);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    go(`#/fleet${query(data)}`);
  });
  return form;
}

function tile(value, text, href, q, extra, kind = "") {
  // The tile of the filter the table shows now is marked, so it reads as selected.
  const here = `#/fleet${query(Object.fromEntries(PARAMS.map((k) => [k, q[k]])))}`;
  return h("li", {},
    h("a", { class: `tile ${kind}`.trim(), href, "aria-current": here === href ? "true" : null },
      h("span", { class: "tile-value" }, value),
      h("span", { class: "tile-label" }, text),
      extra ? h("small", {}, extra) : null));
}

function tiles(summary, q) {
  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const items = [
    tile(scorePill(summary.averageScore), "Average posture score", "#/fleet?sort=score&order=asc", q,
      summary.scored ? `of ${plural(summary.scored, "scored customer")}` : "no scores yet"),
    ...allScoreBands().map((b) => tile(String(summary.bands[b.band] ?? 0), `${b.label} (${bandRange(b.band)})`,
      `#/fleet?band=${b.band}`, q, "customers", `tile-${b.band}`)),
    summary.bands.unscored ? tile(String(summary.bands.unscored), "No score yet", "#/fleet?band=unscored", q, "customers") : null,
    tile(String(summary.openPriorities), "Open priorities", "#/fleet?priorities=open&sort=openPriority&order=desc", q,
      `in ${plural(summary.customersWithOpenPriorities, "customer")}`),
    tile(String(summary.stale), `Scans older than ${summary.staleAfterDays} days`, "#/fleet?stale=true", q, "or never scanned"),
    tile(String(summary.connectionProblems), "Connection problems", "#/fleet?state=connection_lost", q, "connection lost"),
  ];
  return h("ul", { class: "tiles" }, items);
}

function glance(summary, q) {
  return h("section", { class: "glance", "aria-labelledby": "glance-h" },
    h("h2", { id: "glance-h", class: "sr-only" }, "Fleet at a glance"),
    tiles(summary, q),
    h("figure", { class: "card distribution-card" },
      h("figcaption", {}, "Posture score distribution"),
      distributionChart(summary.distribution)));
}

function change(delta) {
  if (delta === null || delta === undefined) return null;
  if (delta === 0) return h("span", { class: "delta flat" }, "no change");
  const up = delta > 0;
  return h("span", { class: `delta ${up ? "up" : "down"}` },
    h("span", { "aria-hidden": "true" }, up ? "▲" : "▼"),
    ` ${up ? "+" : "−"}${Math.abs(delta).toFixed(1)}`,
    h("span", { class: "sr-only" }, " since the previous scan"));
}

function lastScan(c) {
  const stale = c.stale
    ? h("span", { class: "badge stale", title: c.lastScanAt ? "Last scanned more than 7 days ago" : "Connected but never scanned" },
      c.lastScanAt ? "stale" : "not scanned")
    : null;
  return [timeAgo(c.lastScanAt), stale ? " " : null, stale];
}

function trend(points) {
  if (points.length >= 2) return sparkline(points);
  return h("span", { class: "muted" }, points.length === 1 ? "1 scan" : "no scans");
}

function row(c) {
  const target = c.tenantId ? `#/tenants/${c.tenantId}` : `#/customers/${c.customerId}`;
  return h("tr", { dataset: { customer: c.customerId } },
    h("th", { scope: "row" }, h("a", { href: target }, c.displayName), h("small", { class: "muted" }, c.primaryDomain), tagChips(c.tags)),
    h("td", {}, stateBadge(c.state)),
    h("td", { class: "num score-cell" }, scorePill(c.score), " ", change(c.scoreChange)),
    h("td", { class: "last-scan" }, lastScan(c)),
    h("td", { class: "num" }, String(c.openPriorityCount)),
    h("td", {}, trend(c.trend || [])),
    managesCustomers() ? actionsCell(c) : null);
}

function table(data, q) {
  const filtered = FILTERS.some((k) => q[k]);
  if (!data.customers.length) {
    return h("p", { class: "empty" }, filtered ? "No customer matches these filters." : "No customers yet.");
  }
  const counted = `${data.total} customer${data.total === 1 ? "" : "s"}`;
  const columns = ["Customer", "Connection", "Posture score", "Last scan", "Open priorities", "Trend", managesCustomers() ? "Actions" : null];
  return h("table", { class: "data fleet" },
    h("caption", {}, filtered ? `${counted} of ${data.summary.customers}` : counted),
    h("thead", {}, h("tr", {}, columns.filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, data.customers.map(row)));
}

export async function fleetPage(main, _params, q) {
  const data = await get(`/api/fleet${query(Object.fromEntries(PARAMS.map((k) => [k, q[k]])))}`);
  const actions = may("manage_customers") ? h("a", { href: "#/onboard", class: "button" }, "Add customer") : null;
  const exportOut = h("span", { class: "outcome", role: "status" });
  const exportButton = h("button", { type: "button" }, "Export findings (CSV)");
  exportButton.addEventListener("click", () =>
    act(exportButton, exportOut, async () => `Saved ${await download("/api/fleet/findings/export?format=csv", "fleet-findings.csv")}.`));
  // Fleet compliance (issue 22): the customers by the sections of a CIS or SCuBA profile.
  const compliance = h("a", { href: "#/compliance", class: "button" }, "Compliance matrix");
  mount(main, pageTitle("Fleet", actions, compliance, exportButton, exportOut), connectionLostBanner(data.customers),
    glance(data.summary, q), filters(q, data.tags), h("div", { class: "scroll" }, table(data, q)));
}
