// Upload page: add/remove signer rows (a Django formset) and an upload progress bar.
// Without JavaScript the form posts normally and the server renders the same page.
(function () {
  "use strict";

  var PREFIX = "signers";

  function messages() {
    var node = document.getElementById("upload-messages");
    return node ? JSON.parse(node.textContent) || {} : {};
  }

  function renumber(form) {
    var rows = form.querySelectorAll("#signer-rows [data-signer-row]");
    var pattern = new RegExp("^(id_)?" + PREFIX + "-(\\d+|__prefix__)-");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.split(" ").map(function (part) {
              return part.replace(pattern, function (_m, idPrefix) { return (idPrefix || "") + PREFIX + "-" + index + "-"; });
            }).join(" "));
          }
        });
      });
      var number = row.querySelector("[data-signer-number]");
      if (number) { number.textContent = String(index + 1); }
      var remove = row.querySelector("[data-remove-signer]");
      if (remove) { remove.hidden = rows.length <= 1; }
    });
    form.querySelector("#id_" + PREFIX + "-TOTAL_FORMS").value = String(rows.length);
    var add = form.querySelector("#add-signer");
    var max = parseInt(form.dataset.maxSigners || "0", 10);
    if (add) { add.hidden = max > 0 && rows.length >= max; }
    showGroups(form);
  }

  // A signer's group matters only when signing in ordered groups: the field shows only then
  // (without JavaScript it is always shown, and ignored in the other orders).
  function showGroups(form) {
    var order = form.querySelector("#id_signing_order");
    if (!order) { return; }
    form.querySelectorAll("#signer-rows [name$='-order_group']").forEach(function (input) {
      var field = input.closest(".field");
      if (field) { field.hidden = order.value !== "groups"; }
    });
  }

  function bindRows(form) {
    var container = form.querySelector("#signer-rows");
    var template = form.querySelector("#signer-row-template");
    var add = form.querySelector("#add-signer");
    if (!container || !template || !add) { return; }
    add.addEventListener("click", function () {
      var fragment = template.content.cloneNode(true);
      container.appendChild(fragment);
      renumber(form);
      var rows = container.querySelectorAll("[data-signer-row]");
      var first = rows[rows.length - 1].querySelector("input, select");
      if (first) { first.focus(); }
    });
    container.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-signer]");
      if (!button) { return; }
      button.closest("[data-signer-row]").remove();
      renumber(form);
    });
    renumber(form);
  }

  function bindUpload(form) {
    var progressBox = form.querySelector(".upload-progress");
    var bar = form.querySelector("#upload-progress-bar");
    var text = form.querySelector(".upload-progress-text");
    var errorBox = form.querySelector("#upload-error");
    var submit = form.querySelector("[type=submit]");
    if (!window.XMLHttpRequest || !window.FormData || !progressBox) { return; }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      errorBox.hidden = true;
      progressBox.hidden = false;
      bar.value = 0;
      text.textContent = "0%";
      submit.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          text.textContent = percent + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (type.indexOf("application/json") === 0) {
          var data = JSON.parse(xhr.responseText);
          if (data.redirect) { window.location.assign(data.redirect); return; }
        }
        if (type.indexOf("text/html") === 0) {
          // The server answered with the page and its errors: show that form in place.
          var parsed = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var fresh = parsed.getElementById("upload-form");
          if (fresh) {
            form.replaceWith(fresh);
            init(fresh);
            var firstError = fresh.querySelector("[role=alert]:not([hidden])");
            if (firstError) { firstError.scrollIntoView({ block: "center" }); }
            return;
          }
        }
        fail();
      });
      xhr.addEventListener("error", fail);
      xhr.addEventListener("abort", fail);
      xhr.send(new FormData(form));

      function fail() {
        progressBox.hidden = true;
        submit.disabled = false;
        errorBox.textContent = messages().failed || "";
        errorBox.hidden = false;
      }
    });
  }

  // The note under a signer's language says Dokobit's page lacks it: shown only while such a
  // language is chosen (without this script it always shows, which is still true in general).
  function languageNote(select) {
    var offered = (select.getAttribute("data-dokobit-languages") || "").split(" ");
    var note = document.getElementById(select.id + "_helptext");
    if (note) { note.hidden = offered.indexOf(select.value) !== -1; }
  }

  function bindLanguageNotes(form) {
    form.querySelectorAll("select[data-dokobit-languages]").forEach(languageNote);
    form.addEventListener("change", function (event) {
      if (event.target.matches("select[data-dokobit-languages]")) { languageNote(event.target); }
    });
    form.querySelector("#add-signer").addEventListener("click", function () {
      form.querySelectorAll("#signer-rows select[data-dokobit-languages]").forEach(languageNote);
    });
  }

  function init(form) {
    bindRows(form);
    bindUpload(form);
    bindLanguageNotes(form);
    var order = form.querySelector("#id_signing_order");
    if (order) { order.addEventListener("change", function () { showGroups(form); }); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (form) { init(form); }
  });
})();
