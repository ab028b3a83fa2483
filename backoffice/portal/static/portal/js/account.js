// Personal center: "select all" checkboxes and confirmations on destructive buttons. Works without JS too.
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.form.querySelectorAll("input[name=ids]").forEach(function (item) { item.checked = box.checked; });
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();
