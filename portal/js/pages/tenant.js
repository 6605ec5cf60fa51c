// One customer's overview: posture score gauge, trend chart, counts, top priorities and framework
// coverage (what the PDF's first pages show, from the same functions server-side), scan now, and
// the tenant's sub-pages.
import { get } from "../api.js";
import { gauge, trendChart } from "../charts.js";
import { isMsp, may } from "../session.js";
import { h, mount, pageTitle, score, severityBadge, stateBadge, when } from "../ui.js";
import { connectionLostBanner } from "./reconnect.js";
import { scanNowControl } from "./scan_now.js";

export async function loadCustomer(tenantId) {
  return get(`/api/tenants/${encodeURIComponent(tenantId)}`);
}

// The tenant's own navigation (MSP staff reach it from the fleet; customers have it in the header).
export function tenantNav(tenantId, customer, here) {
  const base = `#/tenants/${tenantId}`;
  const items = [
    [base, "Overview", true],
    [`${base}/findings`, "Findings", true],
    [`${base}/reports`, "Reports", true],
    [`${base}/scorecards/cis-e3-l1`, "Scorecards", true],
    [`${base}/users`, "Users", may("manage_tenant_users")],
    [`${base}/branding`, "Branding", may("manage_tenant_branding")],
    [`${base}/audit`, "Audit log", may("view_tenant_audit")],
  ].filter(([, , ok]) => ok);
  return h("nav", { class: "subnav", "aria-label": `${customer.displayName}` },
    isMsp() ? h("a", { href: "#/fleet" }, "← Fleet") : null,
    h("ul", {}, items.map(([href, text]) => h("li", {}, h("a", { href, "aria-current": href === here ? "page" : null }, text)))));
}

function stat(title, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-value" }, value), h("span", { class: "stat-label" }, title));
}

function topPriorities(tenantId, board) {
  const items = board.topPriorities || [];
  return h("section", { class: "card", "aria-labelledby": "top-h" },
    h("h2", { id: "top-h" }, "Top priorities"),
    items.length
      ? h("ol", { class: "top-priorities" }, items.map((f) => h("li", {},
          h("span", { class: "badge priority" }, f.priority), " ", severityBadge(f.severity), " ",
          h("a", { href: `#/tenants/${tenantId}/findings/${encodeURIComponent(f.checkId)}` }, f.title))))
      : h("p", {}, board.lastScanAt ? "No open priorities." : "No scan yet."));
}

function coverage(board, tenantId) {
  const rows = (board.frameworks || []).map((c) => h("tr", {},
    h("th", { scope: "row" }, c.title),
    h("td", { class: "num" }, String(c.passed)),
    h("td", { class: "num" }, String(c.failed)),
    h("td", { class: "num" }, String(c.notAssessed))));
  return h("section", { class: "card", "aria-labelledby": "cov-h" },
    h("h2", { id: "cov-h" }, "Framework coverage"),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data coverage" },
          h("thead", {}, h("tr", {}, ["Framework", "Controls passed", "Failed", "Not assessed"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", {}, "No scan yet."),
    (board.frameworks || []).some((c) => c.partial)
      ? h("p", { class: "muted" }, "Some controls are covered only in part; they count by the part the checks cover.")
      : null,
    scorecardLinks(tenantId));
}

// Where the score stands among the MSP's customers (issue 22): a percentile and the median, never
// another customer's name or score; not shown while too few customers have a score.
function peerPosition(peers) {
  const heading = isMsp() ? "Among your customers" : "Among your provider's customers";
  return h("section", { class: "card", "aria-labelledby": "peers-h", "data-testid": "peers" },
    h("h2", { id: "peers-h" }, heading),
    peers.shown
      ? [h("p", {}, `Scores higher than ${peers.percentile}% of the other customers.`),
         h("p", {}, `Median score: ${peers.median}`)]
      : h("p", { class: "muted" }, peers.score === null
        ? "Shown after the first scan."
        : "Not shown: too few customers have a score to compare with safely."));
}

function scorecardLinks(tenantId) {
  const profiles = [["cis-e3-l1", "CIS E3 Level 1"], ["cis-e3-l2", "CIS E3 Level 2"], ["cis-e5-l1", "CIS E5 Level 1"],
    ["cis-e5-l2", "CIS E5 Level 2"], ["scuba-shall", "SCuBA baseline"], ["scuba-all", "SCuBA, all policies"]];
  return h("p", {}, "Scorecards: ", profiles.map(([key, text], i) => [i ? " · " : "",
    h("a", { href: `#/tenants/${tenantId}/scorecards/${key}` }, text)]));
}

export async function tenantPage(main, { tenantId }) {
  const [customer, board, peers] = await Promise.all([
    loadCustomer(tenantId),
    get(`/api/tenants/${encodeURIComponent(tenantId)}/dashboard`),
    get(`/api/tenants/${encodeURIComponent(tenantId)}/peers`),
  ]);
  const connection = customer.connection || {};
  const { button: scanButton, out: scanOut } = may("run_scan") ? scanNowControl(tenantId) : {};
  // Said by the API (core.posture.SinceLastScan), as in the PDF and the mail: "No change" only
  // when neither the score, the findings nor the acceptances changed.
  const change = board.lastScanAt ? board.sinceLastScan?.text || "" : "";
  const chart = h("div", { class: "chart", id: "trend-chart" });
  // Most severe first, whatever order the API's counts come in.
  const severityOrder = ["critical", "high", "medium", "low"];
  const failing = Object.entries(board.failingBySeverity || {})
    .sort(([a], [b]) => severityOrder.indexOf(a) - severityOrder.indexOf(b));
  const byCategory = Object.entries(board.failingByCategory || {}).sort(([, a], [, b]) => b - a);
  const lostBanner = connectionLostBanner([{
    customerId: customer.customerId, displayName: customer.displayName, state: connection.state,
    connectionErrorCode: connection.errorCode,
  }]);
  mount(main,
    pageTitle(customer.displayName, scanButton, scanOut),
    tenantNav(tenantId, customer, `#/tenants/${tenantId}`),
    lostBanner,
    h("p", { class: "muted" }, customer.primaryDomain, " · ", stateBadge(connection.state || "unknown"), " · last scan ", when(board.lastScanAt)),
    h("div", { class: "overview" },
      h("section", { class: "card score-card", "aria-labelledby": "score-h" },
        h("h2", { id: "score-h" }, "Posture score"), gauge(board.score),
        h("p", { class: "score-text", "data-testid": "score" }, `${score(board.score)} / 100`),
        change ? h("p", { class: "muted", "data-testid": "score-change" }, change) : null),
      h("section", { class: "card stats" , "aria-label": "Counts" },
        stat("Open priorities", String(board.openPriorityCount)),
        stat("Accepted risks", String(board.acceptedCount)),
        stat("New since last scan", String(board.newSinceLastScan)),
        stat("Failing checks", String(board.byStatus?.fail || 0))),
      h("section", { class: "card trend", "aria-labelledby": "trend-h" }, h("h2", { id: "trend-h" }, "Posture score over time"), chart,
        h("p", { class: "sr-only" }, (board.trend || []).map((p) => `${when(p.at)}: ${score(p.score)}`).join("; ")))),
    h("section", { class: "card", "aria-labelledby": "sev-h" },
      h("h2", { id: "sev-h" }, "Failing by severity"),
      failing.length
        ? h("ul", { class: "inline" }, failing.map(([sev, n]) =>
            h("li", {}, h("a", { href: `#/tenants/${tenantId}/findings?status=fail&severity=${sev}` }, severityBadge(sev), ` ${n}`))))
        : h("p", {}, board.lastScanAt ? "Nothing failing." : "No scan yet.")),
    h("section", { class: "card", "aria-labelledby": "cat-h" },
      h("h2", { id: "cat-h" }, "Failing by category"),
      byCategory.length
        ? h("ul", { class: "inline" }, byCategory.map(([category, n]) =>
            h("li", {}, h("a", { href: `#/tenants/${tenantId}/findings?status=fail&category=${encodeURIComponent(category)}` },
              `${category}: ${n}`))))
        : h("p", {}, board.lastScanAt ? "Nothing failing." : "No scan yet.")),
    h("div", { class: "overview-lists" }, topPriorities(tenantId, board), coverage(board, tenantId)),
    peerPosition(peers),
  );
  trendChart(chart, board.trend || []);
}
