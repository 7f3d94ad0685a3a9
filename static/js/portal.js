// Site-wide behaviour without inline handlers (the Content Security Policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
