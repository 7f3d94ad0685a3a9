// Bulk send summary: follows each person's signing until every copy reached Dokobit (or failed),
// updating the counts and each row's status and reason in place. The asking is window.portalPoll's
// (poll.js). Without JavaScript a reload shows the same.
(function () {
  "use strict";

  function apply(data) {
    var counts = document.getElementById("bulk-summary-counts");
    if (counts && data.counts_label) { counts.textContent = data.counts_label; }
    (data.rows || []).forEach(function (item) {
      var row = document.querySelector('[data-line="' + item.line + '"]');
      if (!row) { return; }
      var status = row.querySelector("[data-row-status]");
      var reason = row.querySelector("[data-row-reason]");
      if (status) { status.textContent = item.label; }
      if (reason) {
        reason.textContent = item.reason || "";
        reason.hidden = !item.reason;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("bulk-summary-config");
    if (!node) { return; }
    var config = JSON.parse(node.textContent);
    if (!config || !config.url || config.final) { return; }
    window.portalPoll({
      url: config.url,
      intervalMs: 2000,
      onData: function (data) {
        apply(data);
        return data.settled;
      },
    });
  });
})();
