// Signing page: Dokobit's frame script reports a signature through Isign.onSignSuccess; a status
// poll covers browsers where that event does not arrive. The return page uses the same poll to show
// a signature that arrives a moment after the signer (postbacks processed by a worker). The asking
// is window.portalPoll's (poll.js): it stops on the signature, an error or its time limit.
(function () {
  "use strict";

  var config = null;
  var leaving = false;
  var stopPolling = null;

  function done() {
    if (leaving) { return; }
    leaving = true;
    if (stopPolling) { stopPolling(); }
    window.location.assign(config.doneUrl);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("sign-config");
    if (!node) { return; }
    config = JSON.parse(node.textContent);
    if (window.Isign) { window.Isign.onSignSuccess = done; }
    stopPolling = window.portalPoll({
      url: config.statusUrl,
      onData: function (data) {
        if (data.signed) { done(); }
        return Boolean(data.signed);
      },
    });
  });
})();
