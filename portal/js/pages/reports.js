// Executive reports (PDF): list, download, generate from the latest scan, and send the summary now.
// Generating and sending each ask first (the question says what will happen), and the list of
// earlier reports stays on screen: a new report joins it at the top (replacing only a report of
// the same scan, as the API does).
import { download, get, post } from "../api.js";
import { may } from "../session.js";
import { act, h, mount, pageTitle, score, when } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

function reportRow(r) {
  const button = h("button", { type: "button", class: "link" }, "Download PDF");
  const note = h("span", { class: "outcome", role: "status" });
  button.addEventListener("click", () => act(button, note, async () => `Saved ${await download(r.download, `scanposture-${r.scanId}.pdf`)}.`));
  return h("tr", { dataset: { scan: r.scanId } },
    h("th", { scope: "row" }, when(r.generatedAt)),
    h("td", { class: "num" }, score(r.score)),
    h("td", {}, r.branded ? "yes" : "no"),
    h("td", { class: "num" }, `${Math.max(1, Math.round((r.sizeBytes || 0) / 1024))} KB`),
    h("td", {}, button, note));
}

function reportTable(reports) {
  const body = h("tbody", {}, reports.map(reportRow));
  const table = h("div", { class: "scroll" }, h("table", { class: "data reports" },
    h("caption", { class: "sr-only" }, "Reports"),
    h("thead", {}, h("tr", {}, ["Generated", "Posture score", "Branded", "Size", "File"].map((t) => h("th", { scope: "col" }, t)))),
    body));
  return { table, body };
}

// A button that first asks `question` in `area`; `Yes` runs `work` through act() into `out`.
function confirmed(text, question, yesText, area, out, work, primary = false) {
  const button = h("button", { type: "button", class: primary ? "primary" : null }, text);
  button.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "primary" }, yesText);
    const no = h("button", { type: "button" }, "Not now");
    no.addEventListener("click", () => area.replaceChildren());
    yes.addEventListener("click", async () => {
      area.replaceChildren();
      await act(button, out, work);
      button.focus();
    });
    area.replaceChildren(h("div", { class: "confirm", role: "group", "aria-label": text }, h("p", {}, question), h("div", { class: "buttons" }, yes, no)));
    yes.focus();
  });
  return button;
}

export async function reportsPage(main, { tenantId }) {
  const base = `/api/tenants/${encodeURIComponent(tenantId)}/reports`;
  const [customer, reports] = await Promise.all([loadCustomer(tenantId), get(base)]);
  const out = h("span", { class: "outcome", role: "status" });
  const area = h("div", { class: "confirm-area" });
  const { table, body } = reportTable(reports);
  const empty = h("p", { class: "empty" }, "No reports yet.", may("generate_report") ? " Generate one from the latest scan." : "");
  const listArea = h("div", {}, reports.length ? table : empty);
  const generate = may("generate_report") ? confirmed("Generate report",
    "Generate a report from the latest scan? Earlier reports stay; a report of the same scan is replaced.",
    "Yes, generate", area, out, async () => {
      const made = await post(base);
      body.querySelector(`tr[data-scan="${CSS.escape(made.scanId)}"]`)?.remove();
      body.prepend(reportRow(made));
      listArea.replaceChildren(table);
      return `Report generated: ${when(made.generatedAt)}.`;
    }, true) : null;
  const recipients = (customer.reportRecipients || []).join(", ");
  const send = may("send_summary") ? confirmed("Send summary now",
    recipients ? `Email the summary with the latest report to ${recipients} now?` : "Email the summary with the latest report to the customer's recipients now?",
    "Yes, send", area, out, async () => {
      const delivery = await post(`${base}/send`);
      const to = (delivery.recipients || []).join(", ");
      if (delivery.status === "failed") throw new Error(delivery.error || "the email could not be sent");
      return to ? `Summary ${delivery.status} to ${to}.` : `Summary ${delivery.status}.`;
    }) : null;
  mount(main,
    pageTitle(`${customer.displayName}: reports`, generate, send, out),
    tenantNav(tenantId, customer, `#/tenants/${tenantId}/reports`),
    area,
    listArea);
}
