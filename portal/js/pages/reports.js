// Executive reports (PDF): list, download, generate from the latest scan, and send the summary now.
import { download, get, post } from "../api.js";
import { go } from "../router.js";
import { may } from "../session.js";
import { act, h, mount, pageTitle, score, when } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

export async function reportsPage(main, { tenantId }) {
  const base = `/api/tenants/${encodeURIComponent(tenantId)}/reports`;
  const [customer, reports] = await Promise.all([loadCustomer(tenantId), get(base)]);
  const out = h("span", { class: "outcome", role: "status" });
  const generate = may("generate_report") ? h("button", { type: "button", class: "primary" }, "Generate report") : null;
  generate?.addEventListener("click", () => act(generate, out, async () => {
    await post(base);
    go(location.hash);
    return "Report generated.";
  }));
  const send = may("send_summary") ? h("button", { type: "button" }, "Send summary now") : null;
  send?.addEventListener("click", () => act(send, out, async () => {
    const delivery = await post(`${base}/send`);
    const to = (delivery.recipients || []).join(", ");
    if (delivery.status === "failed") throw new Error(delivery.error || "the email could not be sent");
    return to ? `Summary ${delivery.status} to ${to}.` : `Summary ${delivery.status}.`;
  }));
  const rows = reports.map((r) => {
    const button = h("button", { type: "button", class: "link" }, "Download PDF");
    const note = h("span", { class: "outcome", role: "status" });
    button.addEventListener("click", () => act(button, note, async () => `Saved ${await download(r.download, `scanposture-${r.scanId}.pdf`)}.`));
    return h("tr", {},
      h("th", { scope: "row" }, when(r.generatedAt)),
      h("td", { class: "num" }, score(r.score)),
      h("td", {}, r.branded ? "yes" : "no"),
      h("td", { class: "num" }, `${Math.max(1, Math.round((r.sizeBytes || 0) / 1024))} KB`),
      h("td", {}, button, note));
  });
  mount(main,
    pageTitle(`${customer.displayName}: reports`, generate, send, out),
    tenantNav(tenantId, customer, `#/tenants/${tenantId}/reports`),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Generated", "Posture score", "Branded", "Size", "File"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No reports yet.", may("generate_report") ? " Generate one from the latest scan." : ""));
}
