// Document page: keep the signing and signer statuses current without reloading.
(function () {
  "use strict";

  var INTERVAL_MS = 3000;

  function apply(data) {
    var status = document.getElementById("signing-status");
    if (status && data.status_label) { status.textContent = data.status_label; }
    (data.signers || []).forEach(function (signer) {
      var row = document.querySelector('[data-signer-uuid="' + signer.uuid + '"] [data-signer-status]');
      if (row) { row.textContent = signer.status_label; }
    });
    var signed = document.getElementById("signed-download");
    if (signed && data.signed_file_url) {
      signed.href = data.signed_file_url;
      signed.hidden = false;
    }
    var attention = document.getElementById("attention");
    if (attention) { attention.hidden = !data.needs_attention; }
  }

  function poll(config) {
    fetch(config.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) { apply(data); }
        if (!data || !data.final) { window.setTimeout(function () { poll(config); }, INTERVAL_MS); }
      })
      .catch(function () { window.setTimeout(function () { poll(config); }, INTERVAL_MS * 2); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("signing-status-config");
    if (!node) { return; }
    var config = JSON.parse(node.textContent);
    if (config && config.url && !config.final) { window.setTimeout(function () { poll(config); }, INTERVAL_MS); }
  });
})();
