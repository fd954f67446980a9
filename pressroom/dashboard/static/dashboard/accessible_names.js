// Accessible names the admin's widgets leave out (axe: aria-input-field-name, aria-prohibited-attr):
// the rich-text editor's editable area and Select2's autocomplete box are named by their field's label,
// and the two-box selector's help icons, spans with an aria-label, become images.
(function () {
  "use strict";
  function labelFor(element) {
    const row = element.closest(".form-row, .fieldBox, td");
    const label = row && row.querySelector("label");
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }
  function name(root) {
    root.querySelectorAll(".ProseMirror[contenteditable]:not([aria-label])").forEach((editable) => {
      const text = labelFor(editable);
      if (text) editable.setAttribute("aria-label", text);
    });
    root.querySelectorAll(".select2-selection[role=combobox]").forEach((box) => {
      const text = labelFor(box);
      if (!text) return;
      box.removeAttribute("aria-labelledby");
      box.setAttribute("aria-label", text);
      const shown = box.querySelector(".select2-selection__rendered[role=textbox]");
      if (shown) shown.setAttribute("aria-label", text);
    });
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }
  function start() {
    name(document);
    new MutationObserver(() => name(document)).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
