// One finding: what was found (evidence), why it matters, how to fix it, references, and risk
// acceptance (accept with a justification and expiry, or revoke) for those allowed to.
import { del, get, put } from "../api.js";
import { go } from "../router.js";
import { may } from "../session.js";
import { h, label, mount, pageTitle, severityBadge, when } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

function evidenceList(evidence, count) {
  if (!evidence?.length) return h("p", { class: "muted" }, "No evidence recorded.");
  const items = evidence.map((e) =>
    h("li", {}, typeof e === "string" ? e : Object.entries(e).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ")));
  return h("div", {}, h("ul", { class: "evidence" }, items),
    count > evidence.length ? h("p", { class: "muted" }, `Showing ${evidence.length} of ${count}.`) : null);
}

function acceptForm(tenantId, finding) {
  const inThirty = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  const max = new Date(Date.now() + 364 * 86400e3).toISOString().slice(0, 10);
  const justification = h("textarea", { name: "justification", required: true, minlength: 10, maxlength: 2000, rows: 3 });
  const expires = h("input", { type: "date", name: "expiresAt", required: true, value: inThirty, max });
  const out = h("p", { class: "outcome", role: "status" });
  const form = h("form", { class: "stack", "aria-label": "Accept this risk" },
    label("Justification", justification, "Why this risk is acceptable (at least 10 characters)."),
    label("Expires on", expires, "At most one year from today."),
    h("button", { type: "submit" }, "Accept risk"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.textContent = "Saving…";
    out.className = "outcome";
    try {
      await put(`/api/tenants/${encodeURIComponent(tenantId)}/findings/${encodeURIComponent(finding.checkId)}/acceptance`, {
        justification: justification.value,
        expiresAt: new Date(`${expires.value}T23:59:59Z`).toISOString(),
      });
      go(location.hash);
    } catch (error) {
      out.textContent = `Not accepted: ${error.message}`;
      out.className = "outcome failed";
    }
  });
  return form;
}

function acceptance(tenantId, finding) {
  const a = finding.acceptance;
  if (finding.accepted && a) {
    const out = h("p", { class: "outcome", role: "status" });
    const revoke = may("accept_risk") ? h("button", { type: "button" }, "Revoke acceptance") : null;
    revoke?.addEventListener("click", async () => {
      revoke.disabled = true;
      try {
        await del(`/api/tenants/${encodeURIComponent(tenantId)}/findings/${encodeURIComponent(finding.checkId)}/acceptance`);
        go(location.hash);
      } catch (error) {
        out.textContent = `Not revoked: ${error.message}`;
        revoke.disabled = false;
      }
    });
    return h("section", { class: "card", "aria-labelledby": "acc-h" }, h("h2", { id: "acc-h" }, "Risk accepted"),
      h("p", {}, a.justification), h("p", { class: "muted" }, `Until ${when(a.expiresAt)}`, a.acceptedBy?.name ? ` · by ${a.acceptedBy.name}` : ""), revoke, out);
  }
  if (finding.status !== "fail" || !may("accept_risk")) return null;
  return h("section", { class: "card", "aria-labelledby": "acc-h" }, h("h2", { id: "acc-h" }, "Accept this risk"), acceptForm(tenantId, finding));
}

export async function findingPage(main, { tenantId, checkId }) {
  const path = `/api/tenants/${encodeURIComponent(tenantId)}/findings/${encodeURIComponent(checkId)}`;
  const [customer, f] = await Promise.all([loadCustomer(tenantId), get(path)]);
  const refs = f.references || [];
  const frameworks = f.frameworks || {};
  mount(main,
    pageTitle(f.title),
    tenantNav(tenantId, customer, `#/tenants/${tenantId}/findings`),
    h("p", {}, h("a", { href: `#/tenants/${tenantId}/findings` }, "← All findings")),
    h("p", { class: "meta" }, severityBadge(f.severity), " ", h("span", { class: `badge status-${f.status}` }, f.status.replaceAll("_", " ")),
      f.accepted ? h("span", { class: "badge accepted" }, "accepted") : null,
      ` · ${f.category} · ${f.checkId} · last assessed ${when(f.assessedAt)}`),
    f.unreadable
      ? h("div", { class: "lead unreadable" }, h("p", {}, f.unreadable.sentence), h("p", { class: "muted detail" }, `Detail: ${f.unreadable.detail}`))
      : f.summary ? h("p", { class: "lead" }, f.summary) : null,
    // A regression's attribution from the directory audit log (or why there is none), as text.
    f.attribution ? h("p", { class: "what-changed" }, h("strong", {}, "What changed: "), f.attribution.text) : null,
    h("div", { class: "columns" },
      h("section", { class: "card", "aria-labelledby": "ev-h" }, h("h2", { id: "ev-h" }, "Evidence"), evidenceList(f.evidence, f.evidenceCount)),
      h("section", { class: "card", "aria-labelledby": "why-h" }, h("h2", { id: "why-h" }, "Why it matters"), h("p", {}, f.rationale || "–"),
        h("h2", {}, "Remediation"), h("p", { class: "prewrap" }, f.remediation || "–"))),
    h("section", { class: "card", "aria-labelledby": "ref-h" }, h("h2", { id: "ref-h" }, "References"),
      h("p", {}, `CIS: ${[frameworks.cis].flat().filter(Boolean).join(", ") || "–"} · CISA SCuBA: ${[frameworks.scuba].flat().filter(Boolean).join(", ") || "–"}`),
      refs.length ? h("ul", {}, refs.map((r) => h("li", {}, /^https?:/.test(r) ? h("a", { href: r, rel: "noopener noreferrer", target: "_blank" }, r) : r))) : null,
      f.permissions?.length ? h("p", { class: "muted" }, `Needs: ${f.permissions.join(", ")}${f.licence ? ` · licence: ${f.licence}` : ""}`) : null),
    acceptance(tenantId, f));
}
