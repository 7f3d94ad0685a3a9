// Site-wide behaviour without inline handlers (the Content Security Policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  ["language-select", "space-select"].forEach(function (id) {
    var select = document.getElementById(id);
    if (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
  });
});
