// Every page of the portal and the hash route that shows it.
import { auditPage } from "./audit.js";
import { billingPage } from "./billing.js";
import { brandingPage } from "./branding.js";
import { compliancePage } from "./compliance.js";
import { findingPage } from "./finding.js";
import { findingsPage } from "./findings.js";
import { fleetPage } from "./fleet.js";
import { integrationsPage } from "./integrations.js";
import { acceptInvitationPage, consentLandingPage } from "./landing.js";
import { customerStatusPage, onboardPage } from "./onboard.js";
import { reportsPage } from "./reports.js";
import { scorecardPage } from "./scorecard.js";
import { searchPage } from "./search.js";
import { teamPage } from "./team.js";
import { tenantPage } from "./tenant.js";
import { welcomePage } from "./welcome.js";

export function registerPages(route) {
  route("/welcome", welcomePage);
  route("/fleet", fleetPage);
  route("/search", searchPage);
  route("/onboard", onboardPage);
  route("/customers", consentLandingPage);
  route("/customers/:customerId", customerStatusPage);
  route("/invitations/accept", acceptInvitationPage);
  route("/tenants/:tenantId", tenantPage);
  route("/tenants/:tenantId/findings", findingsPage);
  route("/tenants/:tenantId/findings/:checkId", findingPage);
  route("/tenants/:tenantId/reports", reportsPage);
  route("/tenants/:tenantId/scorecards/:profile", scorecardPage);
  route("/compliance", compliancePage);
  route("/compliance/:profile", compliancePage);
  route("/tenants/:tenantId/branding", brandingPage);
  route("/branding", brandingPage);
  route("/tenants/:tenantId/users", teamPage);
  route("/team", teamPage);
  route("/tenants/:tenantId/audit", auditPage);
  route("/audit", auditPage);
  route("/billing", billingPage);
  route("/integrations", integrationsPage);
}
