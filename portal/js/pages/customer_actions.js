// Managing a customer from its fleet row: a new consent link, its tags, cancelling its
// subscription and removing it. Destructive actions ask first, in the row itself; each change
// redraws the fleet so the table shows what the API now holds. Also the fleet's tag filter.
import { del, patch, post } from "../api.js";
import { clearFieldErrors, showFieldErrors } from "../forms.js";
import { go } from "../router.js";
import { may } from "../session.js";
import { h, label } from "../ui.js";
import { consentLinkBox } from "./reconnect.js";

export function tagSelect(tags, value) {
  const options = [["", "Any"], ...(tags || []).map((t) => [t, t])];
  const select = h("select", { name: "tag" }, options.map(([v, text]) =>
    h("option", { value: v, selected: v.toLowerCase() === (value || "").toLowerCase() }, text)));
  return label("Tag", select);
}

export function tagChips(tags) {
  if (!tags?.length) return null;
  return h("ul", { class: "tags", "aria-label": "Tags" }, tags.map((t) => h("li", { class: "tag" }, t)));
}

export function managesCustomers() {
  return may("manage_customers");
}

const url = (c, rest = "") => `/api/customers/${encodeURIComponent(c.customerId)}${rest}`;

function refresh() {
  go(location.hash || "#/fleet");
}

// A question with a go-ahead and a way back; `work` returns nothing on success (then the fleet
// redraws) and throws an ApiError shown under the question.
function confirmStep(panel, question, yesText, work, extra = null) {
  const form = h("form", { class: "confirm", "aria-label": yesText });
  const out = h("p", { class: "outcome", role: "status" });
  const yes = h("button", { type: "submit", class: "danger" }, yesText);
  const no = h("button", { type: "button" }, "Keep");
  no.addEventListener("click", () => panel.replaceChildren());
  form.append(h("p", {}, question), extra, h("div", { class: "buttons" }, yes, no), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    yes.disabled = true;
    out.textContent = "Working…";
    out.className = "outcome";
    clearFieldErrors(form);
    try {
      await work(form);
      refresh();
    } catch (error) {
      out.textContent = `Not done: ${showFieldErrors(form, error) || "correct the field above."}`;
      out.className = "outcome failed";
      yes.disabled = false;
    }
  });
  panel.replaceChildren(form);
  (extra?.querySelector("input") || yes).focus();
}

function consentLink(c, panel, button) {
  button.disabled = true;
  panel.replaceChildren(h("p", { class: "outcome", role: "status" }, "Making a new consent link…"));
  post(url(c, "/consent-link"))
    .then((link) => panel.replaceChildren(
      h("p", {}, `Send this link to ${c.displayName}'s Global Administrator.`),
      consentLinkBox(link.url, link.expiresAt, `New consent link for ${c.displayName}`)))
    .catch((error) => panel.replaceChildren(h("p", { class: "outcome failed", role: "status" }, `No link made: ${error.message}`)))
    .finally(() => { button.disabled = false; });
}

function editTags(c, panel) {
  const input = h("input", { name: "tags", type: "text", value: (c.tags || []).join(", "), placeholder: "dental, gold plan" });
  confirmStep(panel, `Tags of ${c.displayName}, separated by commas.`, "Save tags",
    () => patch(url(c), { tags: input.value.split(",").map((s) => s.trim()).filter(Boolean) }),
    label("Tags", input));
  panel.querySelector("button.danger")?.classList.replace("danger", "primary");
}

function cancelSubscription(c, panel) {
  const today = new Date().toISOString().slice(0, 10);
  const day = h("input", { name: "cancelledOn", type: "date", value: today, required: true });
  confirmStep(panel,
    `Cancel ${c.displayName}? It is scanned and billed up to and including this day, and not after.`,
    `Cancel ${c.displayName}`,
    () => post(url(c, "/cancel"), { cancelledOn: day.value }),
    label("Last day", day));
}

function removeCustomer(c, panel) {
  confirmStep(panel,
    `Remove ${c.displayName}? Its people lose access and it is no longer scanned. This cannot be undone.`,
    `Remove ${c.displayName}`,
    () => del(url(c)));
}

export function actionsCell(c) {
  const panel = h("div", { class: "row-panel", "aria-live": "polite" });
  const item = (text, onclick) => {
    const button = h("button", { type: "button", class: "link" }, text);
    button.addEventListener("click", () => {
      menu.open = false;
      onclick(button);
    });
    return h("li", {}, button);
  };
  const cancelled = Boolean(c.cancelledOn);
  const menu = h("details", { class: "row-actions" },
    h("summary", {}, "Actions", h("span", { class: "sr-only" }, ` for ${c.displayName}`)),
    h("ul", { class: "menu" },
      item("New consent link", (b) => consentLink(c, panel, b)),
      item("Edit tags", () => editTags(c, panel)),
      may("manage_billing") && !cancelled ? item("Cancel subscription", () => cancelSubscription(c, panel)) : null,
      item("Remove", () => removeCustomer(c, panel))));
  return h("td", { class: "actions" }, menu,
    cancelled ? h("small", { class: "muted" }, `Cancelled; last day ${c.cancelledOn}`) : null, panel);
}
