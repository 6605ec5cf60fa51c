// Billing (MSP admins): the price plan from the order form, and an invoice preview for any period
// with CSV and PDF downloads. Amounts stay strings end to end: the API computes them exactly.
import { download, get, put, query } from "../api.js";
import { act, h, label, mount, pageTitle } from "../ui.js";

const BANDS = ["Under 1,000 users", "1,000 – 4,999 users", "5,000 – 24,999 users", "25,000 users and more"];

function monthBounds(today = new Date()) {
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const last = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 0));
  return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)];
}

function amount(name, value) {
  return h("input", { name, inputmode: "decimal", required: true, value: value ?? "", pattern: "[0-9]+(\\.[0-9]{1,4})?" });
}

function planForm(plan) {
  const rates = plan.bandRates || ["", "", "", ""];
  const out = h("span", { class: "outcome", role: "status" });
  const save = h("button", { type: "submit", class: "primary" }, "Save plan");
  const form = h("form", { class: "card", "aria-labelledby": "plan-h" },
    h("h2", { id: "plan-h" }, "Price plan"),
    label("Currency", h("input", { name: "currency", required: true, maxlength: 3, value: plan.currency || "EUR" })),
    ...BANDS.map((band, i) => label(`Rate per user per month: ${band}`, amount(`rate${i}`, rates[i]))),
    label("Pricing", h("select", { name: "model" },
      h("option", { value: "volume", selected: plan.model !== "tiered" }, "Volume: the band the total reaches prices every user"),
      h("option", { value: "tiered", selected: plan.model === "tiered" }, "Tiered: each user at the band they fall in"))),
    label("Band from", h("select", { name: "bandBasis" },
      h("option", { value: "average", selected: plan.bandBasis !== "peak" }, "Average managed users in the period"),
      h("option", { value: "peak", selected: plan.bandBasis === "peak" }, "Peak managed users in the period"))),
    label("Branded outputs add-on, per customer per month", amount("brandedOutputsAddon", plan.brandedOutputsAddon ?? "0")),
    label("Weekly summaries add-on, per customer per month", amount("weeklyCadenceAddon", plan.weeklyCadenceAddon ?? "0")),
    h("p", {}, save, out));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    act(save, out, async () => {
      await put("/api/billing/plan", {
        currency: data.currency.toUpperCase(), model: data.model, bandBasis: data.bandBasis,
        bandRates: [0, 1, 2, 3].map((i) => data[`rate${i}`]),
        brandedOutputsAddon: data.brandedOutputsAddon, weeklyCadenceAddon: data.weeklyCadenceAddon,
      });
      document.getElementById("no-plan")?.remove();  // a plan exists now
      return "Plan saved.";
    });
  });
  return form;
}

function invoiceSection() {
  const [start, end] = monthBounds();
  const result = h("div", { "aria-live": "polite" });
  const out = h("span", { class: "outcome", role: "status" });
  const preview = h("button", { type: "submit", class: "primary" }, "Preview invoice");
  const form = h("form", { class: "filters", "aria-label": "Billing period" },
    label("From", h("input", { type: "date", name: "start", required: true, value: start })),
    label("To", h("input", { type: "date", name: "end", required: true, value: end })),
    preview, out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const period = Object.fromEntries(new FormData(form));
    act(preview, out, async () => {
      const invoice = await get(`/api/billing/invoice${query(period)}`);
      const csv = h("button", { type: "button" }, "Download CSV");
      const pdf = h("button", { type: "button" }, "Download PDF");
      const note = h("span", { class: "outcome", role: "status" });
      csv.addEventListener("click", () => act(csv, note, async () =>
        `Saved ${await download(`/api/billing/invoice${query({ ...period, format: "csv" })}`, "invoice.csv")}.`));
      pdf.addEventListener("click", () => act(pdf, note, async () =>
        `Saved ${await download(`/api/billing/invoice${query({ ...period, format: "pdf" })}`, "invoice.pdf")}.`));
      mount(result,
        h("p", {}, `Band ${invoice.band} (${invoice.bandBasis} of ${invoice.basisTotalUsers} managed users), `,
          `${invoice.rate} ${invoice.currency} per user per month, ${invoice.model} pricing.`),
        h("div", { class: "scroll" }, h("table", { class: "data" },
          h("caption", {}, `Invoice preview ${invoice.start} to ${invoice.end}`),
          h("thead", {}, h("tr", {}, ["Customer", "Days", "Average users", "Users", "Add-ons", "Amount"]
            .map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, invoice.lines.map((line) => h("tr", {},
            h("th", { scope: "row" }, line.customer),
            h("td", { class: "num" }, String(line.activeDays)),
            h("td", { class: "num" }, line.averageUsers),
            h("td", { class: "num" }, line.userAmount),
            h("td", { class: "num" }, (Number(line.brandedAmount) + Number(line.weeklyAmount)).toFixed(2)),
            h("td", { class: "num" }, `${line.amount} ${invoice.currency}`)))),
          h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 5 }, "Total"),
            h("td", { class: "num", "data-testid": "invoice-total" }, `${invoice.total} ${invoice.currency}`))))),
        h("p", {}, csv, " ", pdf, note));
      return "";
    });
  });
  return h("section", { class: "card", "aria-labelledby": "invoice-h" },
    h("h2", { id: "invoice-h" }, "Invoice preview"), form, result);
}

export async function billingPage(main) {
  const plan = await get("/api/billing/plan");
  mount(main,
    pageTitle("Billing"),
    plan.configured ? null : h("p", { class: "notice", id: "no-plan" }, "No price plan yet: enter the rates from your order form."),
    planForm(plan),
    invoiceSection());
}
