// Document page: keep the signing, its signers, the owner's actions and the history current
// without reloading. When the signing ends (signed, cancelled, failed) the actions that no longer
// apply go away, the signed file appears and the history shows how it ended; an organisation's
// e-seal shows when its task has added it. The asking is
// window.portalPoll's (poll.js): it stops on the final answer, an error or its time limit.
(function () {
  "use strict";

  function removeAll(root, selector) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), function (node) {
      node.parentNode.removeChild(node);
    });
  }

  function showIf(node, shown) {
    if (node) { node.hidden = !shown; }
  }

  function applyHistory(items) {
    var list = document.getElementById("timeline");
    if (!list || !items || !items.length) { return; }
    // Built with text nodes only: names and titles are never parsed as markup.
    var fragment = document.createDocumentFragment();
    items.forEach(function (item) {
      var entry = document.createElement("li");
      var time = document.createElement("time");
      time.setAttribute("datetime", item.at);
      time.textContent = item.at_label;
      entry.appendChild(time);
      entry.appendChild(document.createTextNode(" " + item.text));
      fragment.appendChild(entry);
    });
    list.replaceChildren(fragment);
  }

  function apply(data, config) {
    var status = document.getElementById("signing-status");
    if (status && data.status_label) { status.textContent = data.status_label; }
    // Signing in order: whose turn it is moves with each signature.
    var turn = document.getElementById("signing-turn");
    if (turn && typeof data.turn_label === "string") { turn.textContent = data.turn_label || "-"; }
    (data.signers || []).forEach(function (signer) {
      var row = document.querySelector('[data-signer-uuid="' + signer.uuid + '"]');
      if (!row) { return; }
      var label = row.querySelector("[data-signer-status]");
      if (label) { label.textContent = signer.status_label; }
      // A decline's reason is the signer's own text: set as text, never as HTML.
      var reason = row.querySelector("[data-signer-reason]");
      if (reason && signer.decline_text) {
        reason.textContent = signer.decline_text;
        reason.hidden = false;
      }
      // Resend and Remove are for a signer who has not signed yet.
      if (signer.status !== "pending") { removeAll(row, "[data-owner-action]"); return; }
      // Signing in order: Resend only once it is their turn (they were invited), Earlier and
      // Later only where a move changes the order. A signature moves the turn, so these follow.
      showIf(row.querySelector("[data-resend]"), signer.on_turn);
      showIf(row.querySelector('[data-move="earlier"]'), signer.can_earlier);
      showIf(row.querySelector('[data-move="later"]'), signer.can_later);
    });
    if (data.actions === false) { removeAll(document, "[data-owner-action]"); }
    if (data.open === false) { removeAll(document, "[data-open-only]"); }
    var signed = document.getElementById("signed-download");
    if (signed && data.signed_file_url) {
      signed.href = data.signed_file_url;
      signed.hidden = false;
    }
    // The organisation's e-seal, added by a task after the signatures (or instead of them).
    var seal = document.getElementById("seal-status");
    if (seal && data.seal_status_label) {
      seal.textContent = data.seal_status_label;
      Array.prototype.forEach.call(document.querySelectorAll("[data-seal-row]"), function (node) {
        showIf(node, true);
      });
    }
    var attention = document.getElementById("attention");
    if (attention) { attention.hidden = !data.needs_attention; }
    // The poll carries the newest events: an older page of the history stays as it is.
    if (config.history_live) { applyHistory(data.history); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("signing-status-config");
    if (!node) { return; }
    var config = JSON.parse(node.textContent);
    if (!config || !config.url || config.final) { return; }
    window.portalPoll({
      url: config.url,
      onData: function (data) {
        apply(data, config);
        return Boolean(data.final);
      },
      onStop: function (reason) {
        if (reason !== "gone") { return; }
        // The person's access ended while the page was open (removed from the organisation, say):
        // say so, and take away the document and every action on it.
        var ended = document.getElementById("access-ended");
        if (ended) { ended.hidden = false; }
        removeAll(document, "[data-document-content]");
      },
    });
  });
})();
