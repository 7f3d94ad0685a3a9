/*
 * Dokobit Documents Gateway iframe integration (emulated).
 * Include this script on the page that frames the signing page, then set
 * Isign.onSignSuccess / Isign.onSignCancel to functions.
 */
(function () {
  "use strict";
  var Isign = window.Isign || {};
  if (!("onSignSuccess" in Isign)) Isign.onSignSuccess = null;
  if (!("onSignCancel" in Isign)) Isign.onSignCancel = null;
  window.Isign = Isign;

  window.addEventListener("message", function (message) {
    var data = message.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch { return; }
    }
    if (!data || typeof data !== "object") return;
    if (data.event === "sign-success" && typeof window.Isign.onSignSuccess === "function") {
      window.Isign.onSignSuccess(data);
    } else if (data.event === "sign-cancel" && typeof window.Isign.onSignCancel === "function") {
      window.Isign.onSignCancel(data);
    }
  });
})();
