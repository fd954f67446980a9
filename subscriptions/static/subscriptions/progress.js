// Live mailing progress in the admin: every element with data-progress-url (the mailing's own panel, the
// rows of the start page's last mailings) asks its progress endpoint at once, then every two seconds until
// the mailing is done.
(function () {
  "use strict";
  const finished = new Set(["done", "cancelled"]);
  function follow(panel) {
    async function refresh() {
      try {
        const response = await fetch(panel.dataset.progressUrl, { credentials: "same-origin" });
        if (!response.ok) return;
        const data = await response.json();
        panel.querySelectorAll("[data-field]").forEach((element) => {
          const field = element.dataset.field;
          if (field === "bar") {
            element.max = Math.max(data.recipients, 1);
            element.value = data.sent;
          } else if (field in data) {
            element.textContent = data[field];
          }
        });
        if (finished.has(data.status)) return;
      } catch (error) {
        // A failed poll is retried on the next tick.
      }
      setTimeout(refresh, 2000);
    }
    refresh();
  }
  document.querySelectorAll("[data-progress-url]").forEach(follow);
})();
