// Fleet compliance (issue 22): the MSP's customers by the sections of one framework profile, each
// cell the share of controls met of those assessed, from the shares each scan stored (one read in
// the API). Sorting and filtering ("customers below 80% of CIS E3 Level 1") happen in the API; the
// URL keeps them, so they survive reloads and can be shared.
import { download, get, query } from "../api.js";
import { go } from "../router.js";
import { h, label, mount, pageTitle, when } from "../ui.js";
import { tagSelect } from "./customer_actions.js";
import { share, shareCell } from "./scorecard.js";

const DEFAULT_PROFILE = "cis-e3-l1";
const PARAMS = ["below", "name", "tag", "sort", "order"];

function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

function filters(matrix, profile, q) {
  const sorts = [["name", "Customer"], ["share", "Share met"], ...matrix.sections.map((s) => [s, s])];
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter customers" },
    label("Profile", select("profile", matrix.profiles.map((p) => [p.key, p.name]), profile)),
    label("Share met below (%)", h("input", { type: "number", name: "below", min: "0", max: "100", step: "1", value: q.below || "" })),
    label("Name", h("input", { type: "search", name: "name", value: q.name || "" })),
    tagSelect(matrix.tags, q.tag),
    label("Sort by", select("sort", sorts, q.sort || "name")),
    label("Order", select("order", [["asc", "Ascending"], ["desc", "Descending"]], q.order || "asc")),
    h("button", { type: "submit" }, "Apply"),
    PARAMS.some((k) => q[k] && k !== "sort" && k !== "order") ? h("a", { href: `#/compliance/${profile}`, class: "clear" }, "Clear filters") : null);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { profile: chosen, ...rest } = Object.fromEntries(new FormData(form));
    // A sort by a section of another profile means nothing there: start from the name.
    if (chosen !== profile && !["name", "share"].includes(rest.sort)) rest.sort = "name";
    go(`#/compliance/${chosen}${query(rest)}`);
  });
  return form;
}

function table(matrix) {
  return h("div", { class: "scroll" }, h("table", { class: "data matrix" },
    h("caption", {}, `${matrix.total} customer${matrix.total === 1 ? "" : "s"} of ${matrix.customers}`),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Customer"), h("th", { scope: "col" }, "Share met"),
      matrix.sections.map((s) => h("th", { scope: "col" }, s)),
      h("th", { scope: "col" }, "Last scan"))),
    h("tbody", {}, matrix.rows.map((r) => h("tr", {},
      h("th", { scope: "row" }, r.tenantId
        ? h("a", { href: `#/tenants/${encodeURIComponent(r.tenantId)}/scorecards/${matrix.profile}` }, r.displayName)
        : r.displayName),
      shareCell(r.share),
      r.sections.map((value) => shareCell(value)),
      h("td", {}, when(r.lastScanAt)))))));
}

export async function compliancePage(main, { profile = DEFAULT_PROFILE } = {}, q = {}) {
  const wanted = Object.fromEntries(PARAMS.map((k) => [k, q[k]]));
  const matrix = await get(`/api/fleet/scorecards/${encodeURIComponent(profile)}${query(wanted)}`);
  const csv = h("button", { type: "button" }, "Download CSV");
  csv.addEventListener("click", () =>
    download(`/api/fleet/scorecards/${matrix.profile}${query({ ...wanted, format: "csv" })}`, `fleet-${matrix.profile}.csv`));
  mount(main,
    pageTitle("Fleet compliance", csv),
    h("p", {}, h("a", { href: "#/fleet" }, "← Fleet")),
    h("p", { class: "muted" },
      `${matrix.name}: each cell is the share of controls met of those assessed in that section. `,
      `“${share(null)}” means nothing in that section could be assessed (or the customer was not scanned since scorecards began).`),
    filters(matrix, matrix.profile, q),
    table(matrix));
}
