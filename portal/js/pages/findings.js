// A tenant's findings with filters and paging (the API's continuation tokens: "next" only,
// "previous" walks back through the tokens already seen). Triage starts from what fails: without
// a status in the URL the page shows failing findings ("All" is a choice of its own), most urgent
// first (the API orders by severity, which is the priority order), and the CSV export carries
// the filters on screen.
import { download, get, query } from "../api.js";
import { go } from "../router.js";
import { act, h, label, mount, pageTitle, severityBadge } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

const STATUSES = [["all", "All"], ["fail", "Fail"], ["pass", "Pass"], ["error", "Error"], ["not_applicable", "Not applicable"], ["manual", "Manual"]];
const SEVERITIES = [["", "Any"], ["critical", "Critical"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]];
const FRAMEWORKS = [["", "Any"], ["cis", "CIS"], ["scuba", "CISA SCuBA"]];
const YESNO = [["", "Either"], ["true", "Yes"], ["false", "No"]];
// The check catalogue's categories (core/checks/model.py CATEGORIES).
const CATEGORIES = [["", "Any"], ...["Identity", "Authentication methods", "Privileged access", "Applications",
  "Guests and external access", "Passwords", "Exchange Online", "Defender for Office 365", "SharePoint and OneDrive",
  "Microsoft Teams", "Email authentication (DNS)", "Monitoring"].map((c) => [c, c])];
const FILTER_KEYS = ["status", "severity", "category", "framework", "accepted", "new", "text"];
const DEFAULT_STATUS = "fail";

// The filters as the API takes them: the page's default status spelled out, "all" left out.
function apiFilters(q) {
  const wanted = Object.fromEntries(FILTER_KEYS.map((k) => [k, q[k]]));
  const status = q.status || DEFAULT_STATUS;
  wanted.status = status === "all" ? undefined : status;
  return wanted;
}

function countLine(counts) {
  if (!counts) return null;
  return h("p", { class: "findings-count", "data-testid": "findings-count" },
    h("strong", {}, `${counts.failing} failing`), ` of ${counts.total} checks`);
}

function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === (value || "") }, text)));
}

export async function findingsPage(main, { tenantId }, q) {
  const wanted = Object.fromEntries(FILTER_KEYS.map((k) => [k, q[k]]));
  const filters = apiFilters(q);
  const pageSize = 25;
  const [customer, page] = await Promise.all([
    loadCustomer(tenantId),
    get(`/api/tenants/${encodeURIComponent(tenantId)}/findings${query({ ...filters, pageSize, pageToken: q.page })}`),
  ]);
  const base = `#/tenants/${tenantId}/findings`;
  const form = h("form", { class: "filters", "aria-label": "Filter findings" },
    label("Find", h("input", { type: "search", name: "text", value: q.text || "", maxlength: 80,
      placeholder: "title or check id" })),
    label("Status", select("status", STATUSES, q.status || DEFAULT_STATUS)),
    label("Severity", select("severity", SEVERITIES, q.severity)),
    label("Category", select("category", CATEGORIES, q.category)),
    label("Framework", select("framework", FRAMEWORKS, q.framework)),
    label("Accepted", select("accepted", YESNO, q.accepted)),
    label("New", select("new", YESNO, q.new)),
    h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`${base}${query(Object.fromEntries(new FormData(form)))}`);
  });
  const back = (q.trail || "").split(",").filter(Boolean);
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    q.page ? h("a", { href: `${base}${query({ ...wanted, page: back.at(-1) === "first" ? "" : back.at(-1), trail: back.slice(0, -1).join(",") })}` }, "← Previous") : null,
    page.nextPageToken ? h("a", { href: `${base}${query({ ...wanted, page: page.nextPageToken, trail: [...back, q.page || "first"].join(",") })}` }, "Next →") : null);
  const rows = page.items.map((f) =>
    h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `${base}/${encodeURIComponent(f.checkId)}` }, f.title), h("small", { class: "muted" }, f.checkId)),
      h("td", {}, h("span", { class: "badge priority" }, f.priority || "–")),
      h("td", {}, severityBadge(f.severity)),
      h("td", {}, h("span", { class: `badge status-${f.status}` }, f.status.replaceAll("_", " ")), f.accepted ? h("span", { class: "badge accepted" }, "accepted") : null),
      h("td", {}, f.category),
      h("td", {}, f.change === "new" ? "new" : "")));
  const exportOut = h("span", { class: "outcome", role: "status" });
  const exportButton = h("button", { type: "button" }, "Export CSV");
  exportButton.addEventListener("click", () => act(exportButton, exportOut, async () =>
    `Saved ${await download(`/api/tenants/${encodeURIComponent(tenantId)}/findings/export${query({ ...filters, format: "csv" })}`, "findings.csv")}.`));
  mount(main,
    pageTitle(`${customer.displayName}: findings`, exportButton, exportOut),
    tenantNav(tenantId, customer, base),
    form,
    countLine(page.counts),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Check", "Priority", "Severity", "Status", "Category", "Change"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No finding matches these filters."),
    pager);
}
