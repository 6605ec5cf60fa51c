// The fleet: every customer of the MSP with score, last scan, open priorities, trend and
// connection state. Sorting and filtering happen in the API (the URL keeps them, so they survive reloads).
import { download, get, query } from "../api.js";
import { sparkline } from "../charts.js";
import { go } from "../router.js";
import { may } from "../session.js";
import { act, h, label, mount, pageTitle, score, scoreChange, stateBadge, when } from "../ui.js";
import { connectionLostBanner } from "./reconnect.js";
import { actionsCell, managesCustomers, tagChips, tagSelect } from "./customer_actions.js";

const SORTS = [["name", "Name"], ["score", "Posture score"], ["lastScan", "Last scan"], ["openPriority", "Open priorities"], ["failing", "Failing checks"], ["state", "Connection"]];
const STATES = [["", "Any"], ["connected", "Connected"], ["pending_consent", "Waiting for consent"], ["connection_lost", "Connection lost"]];

function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

function filters(q, tags) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter customers" },
    label("Name", h("input", { type: "search", name: "name", value: q.name || "" })),
    label("Connection", select("state", STATES, q.state || "")),
    tagSelect(tags, q.tag),
    label("Sort by", select("sort", SORTS, q.sort || "name")),
    label("Order", select("order", [["asc", "Ascending"], ["desc", "Descending"]], q.order || "asc")),
    h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    go(`#/fleet${query(data)}`);
  });
  return form;
}

function row(c) {
  const target = c.tenantId ? `#/tenants/${c.tenantId}` : `#/customers/${c.customerId}`;
  const change = c.scoreChange ? ` (${scoreChange(c.scoreChange)})` : "";
  return h("tr", { dataset: { customer: c.customerId } },
    h("th", { scope: "row" }, h("a", { href: target }, c.displayName), h("small", { class: "muted" }, c.primaryDomain), tagChips(c.tags)),
    h("td", {}, stateBadge(c.state)),
    h("td", { class: "num" }, score(c.score), change),
    h("td", {}, when(c.lastScanAt)),
    h("td", { class: "num" }, String(c.openPriorityCount)),
    h("td", {}, sparkline(c.trend || [])),
    managesCustomers() ? actionsCell(c) : null);
}

export async function fleetPage(main, _params, q) {
  const data = await get(`/api/fleet${query({ name: q.name, state: q.state, tag: q.tag, sort: q.sort, order: q.order })}`);
  const actions = may("manage_customers") ? h("a", { href: "#/onboard", class: "button" }, "Add customer") : null;
  const exportOut = h("span", { class: "outcome", role: "status" });
  const exportButton = h("button", { type: "button" }, "Export findings (CSV)");
  exportButton.addEventListener("click", () =>
    act(exportButton, exportOut, async () => `Saved ${await download("/api/fleet/findings/export?format=csv", "fleet-findings.csv")}.`));
  const table = data.customers.length
    ? h("table", { class: "data fleet" },
        h("caption", {}, `${data.total} customer${data.total === 1 ? "" : "s"}`),
        h("thead", {}, h("tr", {}, ["Customer", "Connection", "Posture score", "Last scan", "Open priorities", "Trend", managesCustomers() ? "Actions" : null].filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, data.customers.map(row)))
    : h("p", { class: "empty" }, q.name || q.state || q.tag ? "No customer matches these filters." : "No customers yet.");
  mount(main, pageTitle("Fleet", actions, exportButton, exportOut), connectionLostBanner(data.customers), filters(q, data.tags), h("div", { class: "scroll" }, table));
}
