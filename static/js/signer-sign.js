// Signing page: Dokobit's frame script reports a signature through Isign.onSignSuccess; a status
// poll covers browsers where that event does not arrive.
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  var config = null;
  var leaving = false;

  function done() {
    if (leaving) { return; }
    leaving = true;
    window.location.assign(config.doneUrl);
  }

  function poll() {
    if (leaving) { return; }
    fetch(config.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.signed) { done(); return; }
        window.setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () { window.setTimeout(poll, INTERVAL_MS * 2); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("sign-config");
    if (!node) { return; }
    config = JSON.parse(node.textContent);
    if (window.Isign) { window.Isign.onSignSuccess = done; }
    window.setTimeout(poll, INTERVAL_MS);
  });
})();
