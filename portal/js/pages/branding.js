// Branding: colours and logo for the MSP's reports (fleet-wide) or one customer's, with a live
// preview of the report cover. Colours are applied through the CSSOM, which the CSP allows.
import { get, put, request } from "../api.js";
import { applyLook } from "../look.js";
import { isMsp, session } from "../session.js";
import { h, label, mount, pageTitle } from "../ui.js";
import { loadCustomer, tenantNav } from "./tenant.js";

// Black or white text, whichever reads better on the colour (WCAG relative luminance).
function inkOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? "#ffffff" : "#000000";
}

function cover(title) {
  const logo = h("img", { class: "cover-logo", alt: "Logo", hidden: true });
  const band = h("div", { class: "cover-band" }, logo, h("span", { class: "cover-kicker" }, "Security posture report"));
  const accent = h("div", { class: "cover-accent" });
  const el = h("figure", { class: "cover", "aria-label": "Report cover preview" },
    band, h("div", { class: "cover-body" }, h("p", { class: "cover-title" }, title), accent,
      h("p", { class: "cover-note" }, `Prepared ${new Date().toLocaleDateString()}`)),
    h("figcaption", {}, "Preview of the report cover"));
  return {
    el,
    paint(primary, secondary) {
      band.style.setProperty("background-color", primary);
      band.style.setProperty("color", inkOn(primary));
      accent.style.setProperty("background-color", secondary);
    },
    logo(url) {
      logo.hidden = !url;
      if (url) logo.src = url;
    },
  };
}

export async function brandingPage(main, { tenantId }) {
  const api = tenantId ? `/api/tenants/${encodeURIComponent(tenantId)}/branding` : "/api/branding";
  const [customer, data] = await Promise.all([tenantId ? loadCustomer(tenantId) : null, get(api)]);
  const own = tenantId ? data.own : data;
  const shown = tenantId ? data.effective : data;
  const primary = h("input", { type: "color", name: "primary", value: own.primary || shown.primary || "#1f5fbf" });
  const secondary = h("input", { type: "color", name: "secondary", value: own.secondary || shown.secondary || "#f2c14e" });
  const file = h("input", { type: "file", name: "logo", accept: "image/png,image/jpeg" });
  const extra = tenantId
    ? h("input", { type: "checkbox", name: "enabled", checked: own.enabled !== false })
    : h("input", { type: "checkbox", name: "customerAdminsMayBrand", checked: Boolean(own.customerAdminsMayBrand) });
  const preview = cover(customer ? customer.displayName : "Your customer");
  const repaint = () => preview.paint(primary.value, secondary.value);
  primary.addEventListener("input", repaint);
  secondary.addEventListener("input", repaint);
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    preview.logo(chosen ? URL.createObjectURL(chosen) : null);
  });
  repaint();
  // The saved logo, previewed again after a reload (fleet and customer alike).
  if (shown.hasLogo) {
    request("GET", `${api}/logo`, { raw: true })
      .then(async (r) => preview.logo(URL.createObjectURL(await r.blob())))
      .catch(() => preview.logo(null));
  }
  const out = h("p", { class: "outcome", role: "status" });
  const form = h("form", { class: "stack card", "aria-label": "Branding" },
    label("Primary colour", primary), label("Secondary colour", secondary),
    label("Logo (PNG or JPEG)", file, own.hasLogo ? "A logo is set; choosing a file replaces it." : "No logo yet."),
    label(tenantId ? "Use this customer's own branding" : "Customer admins may brand their own reports", extra),
    h("button", { type: "submit", class: "primary" }, "Save branding"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.textContent = "Saving…";
    out.className = "outcome";
    try {
      await put(api, { primary: primary.value.toUpperCase(), secondary: secondary.value.toUpperCase(), [extra.name]: extra.checked });
      const chosen = file.files[0];
      if (chosen) await request("PUT", `${api}/logo`, { body: chosen, headers: { "content-type": chosen.type || "image/png" } });
      out.textContent = chosen ? "Branding and logo saved." : "Branding saved.";
      if (!isMsp()) await applyLook(); // a customer admin's own portal wears the new look at once
    } catch (error) {
      out.textContent = `Not saved: ${error.message}`;
      out.className = "outcome failed";
    }
  });
  // A customer admin may change branding only when the MSP allows it; otherwise show the preview.
  const editable = !tenantId || isMsp() || data.customerAdminsMayBrand;
  mount(main,
    pageTitle(customer ? `${customer.displayName}: branding` : "Branding"),
    customer ? tenantNav(tenantId, customer, `#/tenants/${tenantId}/branding`) : null,
    h("p", { class: "muted" }, tenantId ? `Reports are prepared by ${shown.preparedBy || "your MSP"}.` : `Reports for every customer of ${session.me.name ? "your MSP" : "the MSP"}.`),
    editable ? null : h("p", { class: "banner warning" }, "Your provider manages the branding of your reports."),
    h("div", { class: "columns" }, editable ? form : null, h("section", { class: "card", "aria-label": "Preview" }, preview.el)));
}
