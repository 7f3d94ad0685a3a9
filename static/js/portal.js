// Site-wide behaviour without inline handlers (the Content Security Policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  // The header's menu on a narrow screen: "Menu" opens and closes the navigation (portal.css
  // hides it only once this script is running, so without JavaScript it stays open).
  var header = document.querySelector("[data-site-header]");
  var toggle = header && header.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (header && toggle && nav) {
    header.classList.add("menu-ready");
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  ["language-select", "space-select"].forEach(function (id) {
    var select = document.getElementById(id);
    if (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
  });
});
