// Onboarding: add a customer, hand its Global Administrator the admin-consent link (copy or
// email), then watch the status until consent arrives and the first scan lands.
import { get, post } from "../api.js";
import { go } from "../router.js";
import { showFieldErrors, clearFieldErrors } from "../forms.js";
import { h, label, mount, pageTitle, stateBadge, when } from "../ui.js";
import { consentLinkBox } from "./reconnect.js";

const LINK_KEY = "scanposture.consent.";

export async function onboardPage(main) {
  const name = h("input", { name: "displayName", required: true, maxlength: 120, autocomplete: "organization" });
  const domain = h("input", { name: "primaryDomain", required: true, placeholder: "contoso.com" });
  const recipients = h("input", { name: "reportRecipients", type: "text", placeholder: "it@contoso.com, ceo@contoso.com" });
  const cadence = h("select", { name: "cadence" }, h("option", { value: "weekly" }, "Weekly"), h("option", { value: "daily" }, "Daily"));
  const tags = h("input", { name: "tags", type: "text", placeholder: "dental, gold plan" });
  const out = h("p", { class: "outcome", role: "status" });
  const confirmArea = h("div", { class: "confirm-area" });
  const form = h("form", { class: "stack card narrow", "aria-label": "New customer", novalidate: true },
    label("Customer name", name), label("Primary domain", domain),
    label("Scan", cadence), label("Report recipients", recipients, "Comma-separated email addresses (optional)."),
    label("Tags", tags, "Comma-separated labels to filter the fleet by (optional)."),
    h("button", { type: "submit", class: "primary" }, "Add customer"), confirmArea, out);
  const submit = async (confirmDuplicate) => {
    out.textContent = "Adding…";
    out.className = "outcome";
    confirmArea.replaceChildren();
    clearFieldErrors(form);
    try {
      const added = await post("/api/customers", {
        displayName: name.value.trim(),
        primaryDomain: domain.value.trim(),
        cadence: cadence.value,
        reportRecipients: splitList(recipients.value),
        tags: splitList(tags.value),
        confirmDuplicate,
      });
      // The link is shown once at creation; keep it for the status page in this tab only.
      sessionStorage.setItem(LINK_KEY + added.customer.customerId, JSON.stringify(added.consentLink));
      go(`#/customers/${added.customer.customerId}`);
    } catch (error) {
      const rest = showFieldErrors(form, error);
      const marked = error.confirm ? "Not added yet: see the field marked above." : "Not added: correct the fields marked above.";
      out.textContent = rest ? `Not added: ${rest}` : marked;
      out.className = "outcome failed";
      // A domain already in the fleet may be a different tenant: a person decides, explicitly.
      if (error.confirm === "confirmDuplicate") confirmArea.append(addAnyway(() => submit(true)));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(false);
  });
  mount(main, pageTitle("Add a customer"),
    h("p", {}, "After adding the customer, send the consent link to its Global Administrator. Scanning starts when they grant consent."),
    form);
}

function splitList(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function addAnyway(onConfirm) {
  const yes = h("button", { type: "button", class: "primary" }, "Add anyway");
  yes.addEventListener("click", onConfirm);
  return h("div", { class: "confirm", role: "group", "aria-label": "Confirm a duplicate domain" },
    h("p", {}, "Add it anyway only if this customer has a different Microsoft 365 tenant."), yes);
}

function emailForm(customerId) {
  const to = h("input", { type: "email", name: "to", required: true, multiple: true, placeholder: "admin@contoso.com" });
  const out = h("span", { class: "outcome", role: "status" });
  const form = h("form", { class: "inline-form", "aria-label": "Email the consent link" },
    label("Email the link to", to), h("button", { type: "submit" }, "Send email"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.textContent = "Sending…";
    try {
      await post(`/api/customers/${encodeURIComponent(customerId)}/consent-link/email`, { to: to.value.split(",").map((s) => s.trim()).filter(Boolean) });
      out.textContent = `Sent to ${to.value}.`;
    } catch (error) {
      out.textContent = `Not sent: ${showFieldErrors(form, error) || "correct the address above."}`;
    }
  });
  return form;
}

const STEPS = ["Customer added", "Consent granted", "First scan finished"];

export async function customerStatusPage(main, { customerId }) {
  let link = JSON.parse(sessionStorage.getItem(LINK_KEY + customerId) || "null");
  const status = h("div", { "aria-live": "polite" });
  const linkArea = h("div");
  const fresh = h("button", { type: "button" }, "Make a new consent link");
  fresh.addEventListener("click", async () => {
    fresh.disabled = true;
    try {
      link = await post(`/api/customers/${encodeURIComponent(customerId)}/consent-link`);
      sessionStorage.setItem(LINK_KEY + customerId, JSON.stringify(link));
      linkArea.replaceChildren(consentLinkBox(link.url, link.expiresAt));
    } catch (error) {
      linkArea.replaceChildren(h("p", { class: "outcome failed", role: "status" }, `No link made: ${error.message}`));
    } finally {
      fresh.disabled = false;
    }
  });
  if (link) linkArea.append(consentLinkBox(link.url, link.expiresAt));
  let customer = await get(`/api/customers/${encodeURIComponent(customerId)}`);
  const draw = () => {
    const state = customer.connection?.state;
    const done = [true, state === "connected" || state === "connection_lost", Boolean(customer.summary?.lastScanAt)];
    // replaceChildren writes a null child as the text "null": leave the link out instead.
    status.replaceChildren(...[
      h("ol", { class: "steps" }, STEPS.map((s, i) => h("li", { class: done[i] ? "done" : "todo" }, `${s}: ${done[i] ? "yes" : "not yet"}`))),
      h("p", {}, "Connection: ", stateBadge(state || "unknown"), " · last scan ", when(customer.summary?.lastScanAt)),
      done[2] && customer.tenantId ? h("p", {}, h("a", { href: `#/tenants/${customer.tenantId}`, class: "button primary" }, "Open the customer's dashboard")) : null,
    ].filter(Boolean));
    return done[2];
  };
  mount(main, pageTitle(customer.displayName), h("p", { class: "muted" }, customer.primaryDomain),
    h("section", { class: "card", "aria-labelledby": "link-h" }, h("h2", { id: "link-h" }, "Admin consent"),
      h("p", {}, "The customer's Global Administrator opens this link and grants consent."), linkArea, fresh, emailForm(customerId)),
    h("section", { class: "card", "aria-labelledby": "st-h" }, h("h2", { id: "st-h" }, "Status"), status));
  // Poll while this page is shown; stop once the first scan is in or the person navigates away.
  const here = location.hash;
  poll(here, draw, async () => {
    customer = await get(`/api/customers/${encodeURIComponent(customerId)}`);
  }, status);
}

async function poll(here, draw, refresh, status) {
  while (!draw() && location.hash === here) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (location.hash !== here) break;
    try {
      await refresh();
    } catch (error) {
      status.append(h("p", { class: "error", role: "alert" }, `Status unavailable: ${error.message}`));
      break;
    }
  }
}
