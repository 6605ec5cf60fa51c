// Integrations (MSP admins): webhook endpoints and API keys. Secrets and keys are shown once, right
// after they are made, and never again.
import { del, get, post } from "../api.js";
import { go } from "../router.js";
import { act, h, label, mount, pageTitle, when } from "../ui.js";

const EVENTS = ["scan.completed", "finding.opened", "finding.resolved", "score.changed", "tenant.connection_lost",
  "tenant.connected"];

function shownOnce(title, value) {
  return h("div", { class: "notice", role: "status" },
    h("p", {}, `${title} (shown once; copy it now):`),
    h("input", { readonly: true, value, "aria-label": title, class: "secret" }));
}

function deliveryLog(endpoint, log) {
  const rows = log.map((d) => h("tr", {},
    h("td", {}, when(d.at)),
    h("td", {}, d.event),
    h("td", {}, String(d.attempt)),
    h("td", {}, d.ok ? "delivered" : "failed"),
    h("td", {}, d.statusCode == null ? "no response" : String(d.statusCode)),
    h("td", { class: "wrap" }, d.error || "")));
  return h("section", { "aria-labelledby": "log-h", class: "card" },
    h("h3", { id: "log-h" }, `Deliveries to ${endpoint.url}`),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data deliveries" },
          h("thead", {}, h("tr", {}, ["When", "Event", "Attempt", "Outcome", "Response", "Error"]
            .map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No deliveries yet."));
}

function webhookSection(endpoints) {
  const reveal = h("div");
  const logArea = h("div");
  const out = h("span", { class: "outcome", role: "status" });
  const add = h("button", { type: "submit", class: "primary" }, "Add endpoint");
  const form = h("form", { class: "card", "aria-labelledby": "hook-add-h" },
    h("h3", { id: "hook-add-h" }, "Add an endpoint"),
    label("HTTPS URL", h("input", { name: "url", type: "url", required: true, placeholder: "https://…" })),
    h("fieldset", {}, h("legend", {}, "Events"),
      ...EVENTS.map((e) => label(e, h("input", { type: "checkbox", name: "events", value: e, checked: e === "scan.completed" })))),
    label("Description", h("input", { name: "description", maxlength: 200 })),
    h("p", {}, add, out));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    act(add, out, async () => {
      const made = await post("/api/webhooks", {
        url: data.get("url"), events: data.getAll("events"), description: data.get("description") || "",
      });
      mount(reveal, shownOnce("Signing secret", made.secret));
      return "Endpoint added.";
    });
  });
  const rows = endpoints.map((e) => {
    const note = h("span", { class: "outcome", role: "status" });
    const test = h("button", { type: "button" }, "Send test event");
    test.addEventListener("click", () => act(test, note, async () => {
      const sent = await post(`/api/webhooks/${e.endpointId}/test`);
      return `Test ${sent.event} queued.`;
    }));
    const rotate = h("button", { type: "button" }, "Rotate secret");
    rotate.addEventListener("click", () => act(rotate, note, async () => {
      const rotated = await post(`/api/webhooks/${e.endpointId}/rotate-secret`);
      mount(reveal, shownOnce("New signing secret", rotated.secret));
      return "Secret rotated.";
    }));
    const history = h("button", { type: "button" }, "Deliveries");
    history.addEventListener("click", () => act(history, note, async () => {
      const log = await get(`/api/webhooks/${e.endpointId}/deliveries`);
      mount(logArea, deliveryLog(e, log));
      return `${log.length} attempt${log.length === 1 ? "" : "s"} shown below.`;
    }));
    const enable = e.enabled ? null : h("button", { type: "button" }, "Enable");
    enable?.addEventListener("click", () => act(enable, note, async () => {
      await post(`/api/webhooks/${e.endpointId}/enable`);
      go(location.hash);
      return "Enabled.";
    }));
    return h("tr", {},
      h("th", { scope: "row", class: "wrap" }, e.url),
      h("td", {}, e.events.join(", ")),
      h("td", {}, e.enabled ? "enabled" : `disabled after ${e.consecutiveFailures} failures`),
      h("td", {}, test, " ", rotate, " ", history, enable ? " " : null, enable, note));
  });
  return h("section", { "aria-labelledby": "hooks-h" },
    h("h2", { id: "hooks-h" }, "Webhooks"),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Endpoint", "Events", "State", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No endpoints yet."),
    logArea, reveal, form);
}

function keySection(keys) {
  const reveal = h("div");
  const out = h("span", { class: "outcome", role: "status" });
  const create = h("button", { type: "submit", class: "primary" }, "Create key");
  const inThreeMonths = new Date(Date.now() + 90 * 864e5).toISOString().slice(0, 10);
  const form = h("form", { class: "card", "aria-labelledby": "key-add-h" },
    h("h3", { id: "key-add-h" }, "Create an API key"),
    label("Name", h("input", { name: "name", required: true, maxlength: 80 })),
    label("Role", h("select", { name: "role" },
      h("option", { value: "msp_analyst" }, "MSP analyst (read, scan, reports)"),
      h("option", { value: "msp_admin" }, "MSP admin (everything)"))),
    label("Expires", h("input", { name: "expires", type: "date", required: true, value: inThreeMonths })),
    h("p", {}, create, out));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    act(create, out, async () => {
      const made = await post("/api/api-keys", { name: data.name, role: data.role, expiresAt: `${data.expires}T00:00:00Z` });
      mount(reveal, shownOnce("API key", made.key));
      return "Key created.";
    });
  });
  const rows = keys.map((k) => {
    const note = h("span", { class: "outcome", role: "status" });
    const revoke = k.revokedAt ? null : h("button", { type: "button" }, "Revoke");
    revoke?.addEventListener("click", () => act(revoke, note, async () => {
      await del(`/api/api-keys/${k.keyId}`);
      go(location.hash);
      return "Revoked.";
    }));
    return h("tr", {},
      h("th", { scope: "row" }, k.name),
      h("td", {}, k.role.replace("_", " ")),
      h("td", {}, when(k.expiresAt)),
      h("td", {}, k.revokedAt ? `revoked ${when(k.revokedAt)}` : "active"),
      h("td", {}, revoke, note));
  });
  return h("section", { "aria-labelledby": "keys-h" },
    h("h2", { id: "keys-h" }, "API keys"),
    rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Name", "Role", "Expires", "State", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No keys yet."),
    reveal, form);
}

export async function integrationsPage(main) {
  const [endpoints, keys] = await Promise.all([get("/api/webhooks"), get("/api/api-keys")]);
  mount(main, pageTitle("Integrations"), webhookSection(endpoints), keySection(keys));
}
