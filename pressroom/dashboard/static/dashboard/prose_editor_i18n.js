// The rich-text editor's menu in the interface's language. django-prose-editor passes its dialogs
// ("Edit Link", "URL", "Update") through Django's gettext, but writes the menu's button titles and the
// block-style options ("Paragraph", "Heading 2") in English: this translates them through the same
// catalog (the admin's jsi18n, which the workspace's site extends with pressroom/dashboard/locale).
(function () {
  "use strict";
  if (typeof window.gettext !== "function") return;
  const heading = /^Heading (\d)$/;
  function translate(text) {
    const match = heading.exec(text);
    if (match) return window.interpolate(window.gettext("Heading %s"), [match[1]]);
    return window.gettext(text);
  }
  function relabel(root) {
    root.querySelectorAll(".prose-menubar [title], .prose-menubar [aria-label]").forEach((element) => {
      for (const name of ["title", "aria-label"]) {
        const value = element.getAttribute(name);
        if (value) element.setAttribute(name, translate(value));
      }
    });
    root.querySelectorAll(".prose-menubar__option, .prose-menubar__option *").forEach((element) => {
      if (element.children.length === 0 && element.textContent.trim()) {
        element.textContent = translate(element.textContent.trim());
      }
    });
  }
  function start() {
    new MutationObserver((records) => {
      if (records.some((record) => [...record.addedNodes].some((node) => node.nodeType === 1))) {
        relabel(document);
      }
    }).observe(document.body, { childList: true, subtree: true });
    relabel(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
