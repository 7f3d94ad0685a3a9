// Signing page: Dokobit's frame script reports a signature through Isign.onSignSuccess; a status
// poll covers browsers where that event does not arrive. The return page uses the same poll to show
// a signature that arrives a moment after the signer (postbacks processed by a worker).
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  // Twenty minutes of polling at most: a page left open must not ask forever.
  var MAX_POLLS = 400;
  var polls = 0;
  var config = null;
  var leaving = false;

  function done() {
    if (leaving) { return; }
    leaving = true;
    window.location.assign(config.doneUrl);
  }

  function poll() {
    if (leaving || polls >= MAX_POLLS) { return; }
    polls += 1;
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
