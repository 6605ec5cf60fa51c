// Which pages the signed-in person may open, from the same rights as the navigation (session.js
// mirrors the API's roles table): a page they may not use shows "no access", never a blank page
// or an error, and has no menu entry.
import { home, homeTenant, isMsp, may } from "./session.js";
import { h, pageTitle } from "./ui.js";

const ORG_PAGES = {
  "/fleet": "view_fleet",
  "/compliance": "view_fleet",
  "/search": "search_fleet",
  "/onboard": "manage_customers",
  "/branding": "manage_fleet_branding",
  "/team": "manage_team",
  "/audit": "view_org_audit",
  "/billing": "manage_billing",
  "/integrations": "manage_webhooks",
};
const TENANT_PAGES = {
  "": "view_tenant",
  "/findings": "view_tenant",
  "/reports": "view_tenant",
  "/users": "manage_tenant_users",
  "/branding": "manage_tenant_branding",
  "/audit": "view_tenant_audit",
};

export function mayOpen(path) {
  if (path in ORG_PAGES) return may(ORG_PAGES[path]);
  if (/^\/compliance\/[^/]+$/.test(path)) return may("view_fleet");
  if (/^\/customers\/[^/]+$/.test(path)) return may("manage_customers");
  const tenant = /^\/tenants\/([^/]+)(\/[^/]+)?(\/[^/]+)?$/.exec(path);
  if (tenant) {
    const [, tenantId, sub = "", detail] = tenant;
    const action = detail ? (["/findings", "/scorecards"].includes(sub) ? "view_tenant" : null) : TENANT_PAGES[sub];
    // A customer's people see their own tenant only; MSP staff every customer of their MSP.
    const theirs = isMsp() || decodeURIComponent(tenantId) === homeTenant();
    return Boolean(action) && theirs && may(action);
  }
  return true; // welcome, invitations, the consent landing: anyone signed in
}

export function noAccessPage() {
  return [
    pageTitle("You don't have access to this page"),
    h("p", {}, "Your role does not include this page. Ask your administrator if you need it."),
    h("p", {}, h("a", { href: home() }, "Go to your home page")),
  ];
}
