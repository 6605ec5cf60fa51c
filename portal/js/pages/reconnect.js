// The connection-lost banner: the customer withdrew consent (or the app lost a permission);
// an MSP admin makes a fresh consent link for the customer's Global Administrator.
import { post } from "../api.js";
import { may } from "../session.js";
import { h } from "../ui.js";

export function consentLinkBox(url, expiresAt, name = "Consent link") {
  const field = h("input", { type: "text", readonly: true, value: url, class: "wide", "aria-label": name });
  const note = h("span", { class: "outcome", role: "status" });
  const copy = h("button", { type: "button" }, "Copy link");
  copy.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(url);
      note.textContent = "Copied.";
    } catch {
      note.textContent = "Select the link and copy it (the browser refused clipboard access).";
    }
  });
  return h("div", { class: "consent-link" }, field, copy, note,
    expiresAt ? h("small", {}, ` Valid until ${new Date(expiresAt).toLocaleString()}.`) : null);
}

export function connectionLostBanner(customers) {
  const lost = customers.filter((c) => c.state === "connection_lost");
  if (!lost.length) return null;
  return h(
    "section",
    { class: "banner warning", "aria-label": "Connection lost" },
    h("h2", {}, `Connection lost to ${lost.length === 1 ? "1 customer" : `${lost.length} customers`}`),
    h("p", {}, "ScanPosture can no longer read these tenants. Their Global Administrator must grant consent again."),
    h("ul", {}, lost.map((c) => {
      const out = h("div");
      const button = h("button", { type: "button" }, `Reconnect ${c.displayName}`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const link = await post(`/api/customers/${encodeURIComponent(c.customerId)}/consent-link`);
          out.replaceChildren(consentLinkBox(link.url, link.expiresAt));
        } catch (error) {
          out.textContent = `Could not make a consent link: ${error.message}`;
        } finally {
          button.disabled = false;
        }
      });
      return h("li", {}, h("strong", {}, c.displayName), ` (${c.connectionErrorCode || "consent withdrawn"}) `,
        may("manage_customers") ? button : h("span", {}, "Ask an MSP admin to reconnect."), out);
    })),
  );
}
