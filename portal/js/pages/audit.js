// The audit log: who did what, when (the MSP's whole log or one tenant's).
import { get } from "../api.js";
import { h, mount, pageTitle, when } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

function describe(target) {
  return Object.entries(target || {}).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

export async function auditPage(main, { tenantId }) {
  const path = tenantId ? `/api/tenants/${encodeURIComponent(tenantId)}/audit` : "/api/audit";
  const [customer, entries] = await Promise.all([tenantId ? loadCustomer(tenantId) : null, get(`${path}?limit=200`)]);
  const rows = entries.map((e) => h("tr", {},
    h("th", { scope: "row" }, when(e.at)),
    h("td", {}, e.actor?.name || e.actor?.email || e.actor?.kind || "system"),
    h("td", {}, h("code", {}, e.action)),
    h("td", { class: "wrap" }, describe(e.target))));
  mount(main,
    pageTitle(customer ? `${customer.displayName}: audit log` : "Audit log"),
    customer ? tenantNav(tenantId, customer, `#/tenants/${tenantId}/audit`) : null,
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data" },
          h("caption", {}, `Latest ${rows.length} entries, newest first`),
          h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Details"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "Nothing recorded yet."));
}
