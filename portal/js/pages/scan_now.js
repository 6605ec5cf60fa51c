// "Scan now": disabled from the click until the scan ends, it says where the scan is (queued,
// running, done) by polling the scan's status, then redraws the page with the new results.
// Two quick clicks cannot queue two scans: the button is disabled before the request leaves, and
// the API answers a second request with the scan already queued.
import { get, post } from "../api.js";
import { go } from "../router.js";
import { h } from "../ui.js";

const DONE_KEY = "scanposture.scanDone.";

const POLL_MS = 1500;
const WORDS = { queued: "Scan queued…", running: "Scan running…" };
const ENDED = {
  completed: "Scan done.",
  failed: "The scan failed; the previous results stay.",
  connection_lost: "The scan could not reach the tenant: its consent was withdrawn.",
};

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls until the scan ends or the person leaves the page; resolves to its last status or null.
async function follow(watch, here, show) {
  for (;;) {
    await pause(POLL_MS);
    if (location.hash !== here) return null;
    const scan = await get(watch);
    if (location.hash !== here) return null;
    if (!(scan.status in WORDS)) return scan.status;
    show(WORDS[scan.status], scan.status);
  }
}

// Redraws the page; the redrawn control says the scan is done (this tab only, once).
function redraw(tenantId) {
  sessionStorage.setItem(DONE_KEY + tenantId, "1");
  go(location.hash);
}

export function scanNowControl(tenantId, onDone = () => redraw(tenantId)) {
  const button = h("button", { type: "button" }, "Scan now");
  const out = h("span", { class: "outcome scan-progress", role: "status" });
  const show = (text, status) => {
    out.textContent = text;
    out.dataset.status = status;
    out.className = `outcome scan-progress${status === "failed" ? " failed" : ""}`;
  };
  if (sessionStorage.getItem(DONE_KEY + tenantId)) {
    sessionStorage.removeItem(DONE_KEY + tenantId);
    show("Scan done; the results below are the new scan's.", "completed");
  }
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    button.disabled = true;
    const here = location.hash;
    show("Requesting a scan…", "requesting");
    try {
      const ticket = await post(`/api/tenants/${encodeURIComponent(tenantId)}/scans`);
      show(`${WORDS[ticket.status] || WORDS.queued}${ticket.alreadyQueued ? " (already requested)" : ""}`, ticket.status);
      const status = await follow(ticket.watch, here, show);
      if (status === null) return;
      show(ENDED[status] || `Scan ${status.replaceAll("_", " ")}.`, status);
      if (status === "completed") await onDone();
    } catch (error) {
      show(`The scan could not be followed: ${error.message}`, "failed");
    } finally {
      button.disabled = false;
    }
  });
  return { button, out };
}
