// Live mailing progress in the admin: polls the progress endpoint every two seconds until done.
(function () {
  "use strict";
  const panel = document.getElementById("mailing-progress");
  if (!panel) return;
  const finished = new Set(["done", "cancelled"]);
  async function refresh() {
    try {
      const response = await fetch(panel.dataset.url, { credentials: "same-origin" });
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
  setTimeout(refresh, 2000);
})();
