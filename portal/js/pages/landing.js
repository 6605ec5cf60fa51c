// Pages that links from outside the portal land on: the admin-consent callback's redirect and an
// invitation's accept link.
import { get, post } from "../api.js";
import { go } from "../router.js";
import { session, start } from "../session.js";
import { h, mount, pageTitle } from "../ui.js";

export async function consentLandingPage(main, _params, q) {
  if (q.customer && session.membership?.role?.startsWith("msp_")) return go(`#/customers/${encodeURIComponent(q.customer)}`);
  mount(main, pageTitle("Consent granted"),
    h("p", {}, "Thank you: ScanPosture can now read this tenant's security settings. The first scan starts shortly."),
    h("p", {}, "You can close this page."));
}

export async function acceptInvitationPage(main, _params, q) {
  if (!q.code) return mount(main, pageTitle("Invitation"), h("p", { role: "alert" }, "This link has no invitation code."));
  await post("/api/invitations/accept", { code: q.code });
  start(await get("/api/me"));
  mount(main, pageTitle("Invitation accepted"), h("p", {}, "Welcome to ScanPosture."), h("p", {}, h("a", { href: "#/", class: "button primary" }, "Continue")));
}
