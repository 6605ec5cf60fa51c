// Errors next to the field they concern: the API answers [{field, message}] (ApiError.fields), and
// each message goes under the control of that name, linked by aria-describedby and marked
// aria-invalid, so a screen reader reads it with the field. What names no field of this form goes
// to the form's general outcome line. (No import of ui.js: its act() uses this module.)

let counter = 0;

export function clearFieldErrors(form) {
  for (const note of form.querySelectorAll(".field-error")) {
    const control = form.querySelector(`[aria-describedby~="${note.id}"]`);
    if (control) {
      const rest = control.getAttribute("aria-describedby").split(" ").filter((id) => id !== note.id);
      if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
      else control.removeAttribute("aria-describedby");
      control.removeAttribute("aria-invalid");
    }
    note.remove();
  }
}

function controlFor(form, field) {
  const named = form.elements.namedItem(field);
  return named instanceof RadioNodeList ? named[0] : named;
}

// Shows `error` on `form`; returns the messages that concern no field of it (already joined).
export function showFieldErrors(form, error) {
  clearFieldErrors(form);
  const unplaced = [];
  const placed = new Set();
  for (const { field, message } of error?.fields || []) {
    const control = field ? controlFor(form, field) : null;
    if (!control || placed.has(field)) {
      if (!placed.has(field)) unplaced.push(message);
      continue;
    }
    placed.add(field);
    const note = Object.assign(document.createElement("small"), { className: "field-error", id: `field-error-${++counter}`, textContent: message });
    control.setAttribute("aria-invalid", "true");
    const before = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", before ? `${before} ${note.id}` : note.id);
    control.insertAdjacentElement("afterend", note);
  }
  if (!placed.size) return error?.message || String(error);
  form.querySelector("[aria-invalid=true]")?.focus();
  return unplaced.join(" ");
}
