// Who is signed in and what they may do. Mirrors core/auth/roles.py so the portal never offers
// a control the API would refuse (the API still decides).
const ANALYST = ["view_fleet", "search_fleet", "view_tenant", "run_scan", "accept_risk", "generate_report", "send_summary"];
const CUSTOMER_VIEWER = ["view_tenant"];
const CUSTOMER_ADMIN = [
  ...CUSTOMER_VIEWER, "run_scan", "accept_risk", "generate_report", "manage_tenant_users",
  "manage_tenant_branding", "view_tenant_audit",
];
const MSP_ADMIN = [
  ...ANALYST, "manage_customers", "manage_team", "manage_fleet_branding", "view_org_audit", "manage_billing",
  "manage_webhooks", "manage_api_keys",
  "manage_tenant_users", "manage_tenant_branding", "view_tenant_audit",
];
const RIGHTS = {
  msp_admin: new Set(MSP_ADMIN),
  msp_analyst: new Set(ANALYST),
  customer_admin: new Set(CUSTOMER_ADMIN),
  customer_viewer: new Set(CUSTOMER_VIEWER),
};
export const ROLE_NAMES = {
  msp_admin: "MSP admin",
  msp_analyst: "MSP analyst",
  customer_admin: "Customer admin",
  customer_viewer: "Customer viewer",
};

export const session = { me: null, membership: null };

export function start(me) {
  session.me = me;
  // MSP staff see the fleet; a customer user their one tenant. An MSP membership wins.
  session.membership =
    me.memberships.find((m) => m.role.startsWith("msp_")) || me.memberships[0] || null;
}

export function role() {
  return session.membership?.role || null;
}

export function isMsp() {
  return Boolean(role()?.startsWith("msp_"));
}

export function may(action) {
  return Boolean(role() && RIGHTS[role()]?.has(action));
}

export function homeTenant() {
  return session.membership?.tenantId || null;
}

export function home() {
  if (!session.membership) return "#/welcome";
  return isMsp() ? "#/fleet" : `#/tenants/${homeTenant()}`;
}
