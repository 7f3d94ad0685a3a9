// Bulk send progress: moves the bar and its sentence as the copies are made, and says when every
// row is done (the summary link is on the page all along). The asking is window.portalPoll's (poll.js). Without JavaScript the page
// refreshes itself (a <noscript> refresh) until sending ends.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("bulk-progress-config");
    if (!node) { return; }
    var config = JSON.parse(node.textContent);
    if (!config || !config.url || config.final) { return; }
    var bar = document.getElementById("bulk-progress-bar");
    var label = document.getElementById("bulk-progress-label");
    var waiting = document.getElementById("bulk-progress-waiting");
    window.portalPoll({
      url: config.url,
      intervalMs: 1500,
      onData: function (data) {
        if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
        if (label) { label.textContent = data.label; }
        if (data.final && waiting) { waiting.hidden = true; }
        return data.final;
      },
    });
  });
})();
