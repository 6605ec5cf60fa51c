// Cross-tenant search: which customers fail a check, found by words or a check id.
import { get, query } from "../api.js";
import { go } from "../router.js";
import { h, label, mount, pageTitle, severityBadge } from "../ui.js";

// Framework ids come as one id or a list, depending on the check.
const ids = (x) => (Array.isArray(x) ? x.join(", ") : x || "");

function match(m) {
  const failing = m.failing.map((c) =>
    h("li", {}, c.tenantId ? h("a", { href: `#/tenants/${c.tenantId}/findings/${encodeURIComponent(m.checkId)}` }, c.displayName) : c.displayName,
      c.accepted ? h("span", { class: "badge accepted" }, "accepted") : null,
      h("small", { class: "muted" }, ` ${c.evidenceCount} item${c.evidenceCount === 1 ? "" : "s"} of evidence`)));
  return h("section", { class: "card result", "aria-label": m.title },
    h("h2", {}, m.title, " ", severityBadge(m.severity)),
    h("p", { class: "muted" }, `${m.checkId} · ${m.category}`, ids(m.cis) ? ` · CIS ${ids(m.cis)}` : "", ids(m.scuba) ? ` · SCuBA ${ids(m.scuba)}` : ""),
    h("p", {}, `Failing at ${m.failing.length} customer${m.failing.length === 1 ? "" : "s"}, passing at ${m.passingCount}`,
      m.notAssessed.length ? `, not assessed at ${m.notAssessed.length}` : "", "."),
    failing.length ? h("ul", {}, failing) : null);
}

// No check matched: say so, and offer the nearest checks (searched for by their id).
function nothingFound(text, suggestions) {
  const status = h("p", { role: "status" }, `No check matches “${text}”.`);
  if (!suggestions.length) return [status, h("p", { class: "muted" }, "Try other words, a check id or a CIS or SCuBA id.")];
  return [status, h("p", {}, "Did you mean:"),
    h("ul", { class: "suggestions" }, suggestions.map((s) =>
      h("li", {}, h("a", { href: `#/search${query({ q: s.checkId })}` }, s.title), h("small", { class: "muted" }, ` ${s.checkId}`))))];
}

export async function searchPage(main, _params, q) {
  const input = h("input", { type: "search", name: "q", value: q.q || "", maxlength: 200, placeholder: "e.g. MFA, legacy authentication, DMARC" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Search all customers" },
    label("Search checks across all customers", input), h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/search${query({ q: input.value.trim() })}`);
  });
  const head = [pageTitle("Search"), form];
  if (!q.q) return mount(main, ...head, h("p", { class: "muted" }, "Find which customers fail a check."));
  const data = await get(`/api/search${query({ q: q.q })}`);
  if (!data.matches.length) return mount(main, ...head, ...nothingFound(q.q, data.suggestions || []));
  const found = data.matches.filter((m) => m.failing.length || m.passingCount || m.notAssessed.length);
  mount(main, ...head,
    h("p", { role: "status" }, `${data.matches.length} ${data.matches.length === 1 ? "check matches" : "checks match"} “${q.q}”.`),
    (found.length ? found : data.matches).map(match));
}
