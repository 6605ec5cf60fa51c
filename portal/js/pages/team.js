// People: the MSP's team (admins and analysts) or one customer's users (admins and viewers).
// Invite (the invitation link is shown to pass on), change a role, remove.
import { del, get, patch, post } from "../api.js";
import { showFieldErrors } from "../forms.js";
import { go } from "../router.js";
import { session, ROLE_NAMES } from "../session.js";
import { h, label, mount, pageTitle } from "../ui.js";
import { consentLinkBox } from "./reconnect.js";
import { loadCustomer, tenantNav } from "./tenant.js";

function roleSelect(roles, value, labelText) {
  return h("select", { name: "role", "aria-label": labelText }, roles.map((r) => h("option", { value: r, selected: r === value }, ROLE_NAMES[r])));
}

export async function teamPage(main, { tenantId }) {
  const tenantPath = tenantId ? `/api/tenants/${encodeURIComponent(tenantId)}` : null;
  const roles = tenantId ? ["customer_admin", "customer_viewer"] : ["msp_admin", "msp_analyst"];
  const [customer, members] = await Promise.all([
    tenantId ? loadCustomer(tenantId) : null,
    get(tenantId ? `${tenantPath}/members` : "/api/team/members"),
  ]);
  const people = members.filter((m) => (tenantId ? m.tenantId === tenantId : !m.tenantId));
  const memberPath = (m) => `${tenantId ? tenantPath : "/api/team"}/members/${encodeURIComponent(m.id)}`;
  const rows = people.map((m) => {
    const who = m.name || m.email || m.id;
    const out = h("span", { class: "outcome", role: "status" });
    const select = roleSelect(roles, m.role, `Role of ${who}`);
    const me = m.objectId && m.objectId === session.me.objectId;
    select.addEventListener("change", async () => {
      try {
        await patch(memberPath(m), { role: select.value });
        out.textContent = "Role changed.";
      } catch (error) {
        out.textContent = `Not changed: ${error.message}`;
        select.value = m.role;
      }
    });
    const remove = h("button", { type: "button", class: "danger" }, `Remove ${who}`);
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Remove ${who}?`)) return;
      try {
        await del(memberPath(m));
        go(location.hash);
      } catch (error) {
        out.textContent = `Not removed: ${error.message}`;
      }
    });
    return h("tr", {}, h("th", { scope: "row" }, who, me ? " (you)" : ""), h("td", {}, m.email || ""), h("td", {}, select), h("td", {}, remove, out));
  });
  const email = h("input", { type: "email", name: "email", required: true });
  const role = roleSelect(roles, roles[1], "Role");
  const invited = h("div", { role: "status" });
  const form = h("form", { class: "inline-form card", "aria-label": "Invite someone" },
    label("Email", email), label("Role", role), h("button", { type: "submit", class: "primary" }, "Invite"), invited);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const inv = await post(tenantId ? `${tenantPath}/invitations` : "/api/team/invitations", { email: email.value, role: role.value });
      invited.replaceChildren(h("p", {}, `Invitation for ${inv.email}. Send them this link; it works once, signed in as them:`),
        consentLinkBox(inv.acceptUrl, inv.expiresAt, "Invitation link"));
    } catch (error) {
      invited.textContent = `Not invited: ${showFieldErrors(form, error) || "correct the field marked above."}`;
    }
  });
  mount(main,
    pageTitle(customer ? `${customer.displayName}: users` : "Team"),
    customer ? tenantNav(tenantId, customer, `#/tenants/${tenantId}/users`) : null,
    form,
    h("div", { class: "scroll" }, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))));
}
