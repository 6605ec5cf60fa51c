// Starts the portal: completes sign-in, learns who is here, draws the navigation and routes.
import { get } from "./api.js";
import { completeSignIn, loadConfig, signIn, signOut, token } from "./auth.js";
import { applyLook, resetLook } from "./look.js";
import { current, route } from "./router.js";
import { home, isMsp, may, homeTenant, role, ROLE_NAMES, session, start } from "./session.js";
import { errorBox, h, loading, mount, pageTitle, setScoreBands } from "./ui.js";
import { registerPages } from "./pages/index.js";
import { mayOpen, noAccessPage } from "./access.js";

const main = document.getElementById("main");
let renders = 0;

function signInPage() {
  renders += 1; // a page still loading for whoever signed out must not replace this one
  document.title = "Sign in · ScanPosture";
  resetLook();
  mount(document.getElementById("nav"));
  mount(document.getElementById("who"));
  const button = h("button", { type: "button", class: "primary" }, "Sign in");
  button.addEventListener("click", () => signIn().catch((e) => mount(main, errorBox(e))));
  mount(
    main,
    h("section", { class: "card narrow" },
      h("h1", {}, "Sign in to ScanPosture"),
      h("p", {}, "Security posture of your Microsoft 365 tenants. Sign in with your work account."),
      button),
  );
}

function navItems() {
  if (isMsp()) {
    return [
      ["#/fleet", "Fleet", may("view_fleet")],
      ["#/search", "Search", may("search_fleet")],
      ["#/onboard", "Add customer", may("manage_customers")],
      ["#/branding", "Branding", may("manage_fleet_branding")],
      ["#/team", "Team", may("manage_team")],
      ["#/audit", "Audit log", may("view_org_audit")],
      ["#/billing", "Billing", may("manage_billing")],
      ["#/integrations", "Integrations", may("manage_webhooks")],
    ];
  }
  const t = homeTenant();
  if (!t) return [];
  return [
    [`#/tenants/${t}`, "Overview", true],
    [`#/tenants/${t}/findings`, "Findings", true],
    [`#/tenants/${t}/reports`, "Reports", true],
    [`#/tenants/${t}/users`, "Users", may("manage_tenant_users")],
    [`#/tenants/${t}/branding`, "Branding", may("manage_tenant_branding")],
    [`#/tenants/${t}/audit`, "Audit log", may("view_tenant_audit")],
  ];
}

function noAccountPage() {
  document.title = "No access · ScanPosture";
  mount(
    main,
    h("h1", {}, "You are signed in, but not a member yet"),
    h("p", {}, "Ask your MSP or your organisation's administrator for an invitation, then open its link."),
    h("button", { type: "button", onclick: () => { signOut(); signInPage(); } }, "Sign out"),
  );
}

function drawChrome() {
  if (!session.me) {
    mount(document.getElementById("nav"));
    mount(document.getElementById("who"));
    return;
  }
  const here = location.hash.split("?")[0];
  const links = navItems()
    .filter(([, , allowed]) => allowed)
    .map(([href, text]) => h("a", { href, "aria-current": here === href ? "page" : null }, text));
  mount(document.getElementById("nav"), h("ul", {}, links.map((a) => h("li", {}, a))));
  const out = h("button", { type: "button", class: "link" }, "Sign out");
  out.addEventListener("click", () => {
    signOut();
    signInPage();
  });
  const me = session.me;
  mount(
    document.getElementById("who"),
    h("span", { class: "name" }, me.name || me.email || "Signed in"),
    role() ? h("span", { class: "role" }, ROLE_NAMES[role()]) : null,
    out,
  );
}

async function render() {
  if (!token()) return signInPage();
  const { render: page, params, query, path } = current();
  // Someone accepting an invitation has no membership yet (the API would refuse /api/me): the
  // page accepts first and learns who they are afterwards.
  if (!session.me && path !== "/invitations/accept") {
    mount(main, loading("Signing you in"));
    try {
      start(await get("/api/me"));
      await applyLook();
    } catch (error) {
      if (!token()) return signInPage();
      if (error.status === 403) return noAccountPage();
      return mount(main, errorBox(error, render));
    }
  }
  if (path === "/" || path === "/signin") return void (location.hash = home());
  drawChrome();
  // Each page draws into its own container, shown only if it is still the page asked for: a
  // slow response for a page already left must not replace the one on screen (nor draw over
  // the not-found or no-access page shown in its place).
  const generation = ++renders;
  if (!page) {
    return mount(main, pageTitle("Not found"), h("p", {}, "There is no such page. "), h("a", { href: home() }, "Go home"));
  }
  if (!mayOpen(path)) return mount(main, noAccessPage());
  const view = h("div", { class: "view" });
  mount(main, loading());
  try {
    await page(view, params, query);
  } catch (error) {
    // The API refused (a tenant that is not theirs, a right the role lacks): say so, not "error".
    mount(view, error.status === 403 ? noAccessPage() : errorBox(error, render));
  }
  if (generation === renders) mount(main, view);
}

registerPages(route);
window.addEventListener("hashchange", () => {
  render();
  main.focus({ preventScroll: true });
});
completeSignIn()
  .then(async () => setScoreBands((await loadConfig()).scoreBands)) // read with the config at sign-in
  .then(render)
  .catch((error) => mount(main, errorBox(error, () => location.reload())));
