// The customer-facing look: a customer admin or viewer sees the portal in their MSP's branding
// (logo, name and colours; the same effective branding as their reports) when branding is on for
// them. MSP staff, and customers whose branding is off, see ScanPosture's own look.
import { get, request } from "./api.js";
import { homeTenant, isMsp } from "./session.js";
import { h } from "./ui.js";

// The API validates colours when they are saved and again when it reads them; the portal checks
// once more, so nothing but #RRGGBB ever reaches a style property.
const HEX = /^#[0-9a-fA-F]{6}$/;
const PROPERTIES = ["--brand-bg", "--brand-ink", "--brand-line", "--accent", "--accent-ink"];
let logoUrl = null;

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Black or white text, whichever reads better on the colour.
function inkOn(hex) {
  return contrast(hex, "#ffffff") >= contrast(hex, "#000000") ? "#ffffff" : "#000000";
}

function defaultBrand() {
  return h("a", { class: "brand", href: "#/" }, "ScanPosture");
}

/** Back to ScanPosture's own look (signed out, MSP staff, branding off). */
export function resetLook() {
  const root = document.documentElement;
  root.classList.remove("branded");
  for (const name of PROPERTIES) root.style.removeProperty(name);
  if (logoUrl) URL.revokeObjectURL(logoUrl);
  logoUrl = null;
  const slot = document.querySelector("header.top .brand");
  if (slot) slot.replaceWith(defaultBrand());
}

function paint(primary, secondary) {
  const root = document.documentElement;
  root.style.setProperty("--brand-bg", primary);
  root.style.setProperty("--brand-ink", inkOn(primary));
  root.style.setProperty("--brand-line", secondary);
  // Links and primary buttons take the MSP's colour only where it stays readable on white (AA).
  if (contrast(primary, "#ffffff") >= 4.5) {
    root.style.setProperty("--accent", primary);
    root.style.setProperty("--accent-ink", "#ffffff");
  }
  root.classList.add("branded");
}

async function logo(hasLogo, tenantId) {
  if (!hasLogo) return null;
  try {
    const response = await request("GET", `/api/tenants/${encodeURIComponent(tenantId)}/branding/logo`, { raw: true });
    logoUrl = URL.createObjectURL(await response.blob());
    return h("img", { class: "brand-logo", src: logoUrl, alt: "" });
  } catch {
    return null; // the name alone still says whose portal this is
  }
}

/** After sign-in: the MSP's look for a customer user whose branding is on, else the default. */
export async function applyLook() {
  resetLook();
  const tenantId = homeTenant();
  if (isMsp() || !tenantId) return;
  let effective;
  try {
    ({ effective } = await get(`/api/tenants/${encodeURIComponent(tenantId)}/branding`));
  } catch {
    return; // the look is a courtesy: the page itself reports what failed
  }
  if (!effective?.enabled || !HEX.test(effective.primary) || !HEX.test(effective.secondary)) return;
  // The logo first, then colours and name together: the header never shows the MSP's colours
  // beside ScanPosture's name while the logo is on its way.
  const image = await logo(effective.hasLogo, tenantId);
  const name = effective.preparedBy || "Your provider";
  const brand = h("a", { class: "brand branded-by", href: "#/" }, image, h("span", { class: "brand-name" }, name));
  paint(effective.primary, effective.secondary);
  const slot = document.querySelector("header.top .brand");
  if (slot) slot.replaceWith(brand);
}
