// Batch signing page: Dokobit's frame script reports the end of the batch (all signed, or the
// person cancelled) through Isign.onSignSuccess / Isign.onSignCancel; either way the person goes
// back to the inbox, which asks Dokobit about each document. The "Back to the inbox" link does the
// same where those events do not arrive.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("batch-done-url");
    if (!node || !window.Isign) { return; }
    var doneUrl = JSON.parse(node.textContent);
    var leaving = false;
    function back() {
      if (leaving) { return; }
      leaving = true;
      window.location.assign(doneUrl);
    }
    window.Isign.onSignSuccess = back;
    window.Isign.onSignCancel = back;
  });
})();
