// Portal behaviour, no dependencies: language switch auto-submit, the mobile menu, and the
// list tables that scroll inside their panel (a hint and a sticky first column, portal.css).
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var toggle = document.querySelector("[data-nav-toggle]");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("is-open", !open);
    });
  }

  var hintText = document.body.getAttribute("data-table-hint");
  document.querySelectorAll(".table-scroll").forEach(function (scroller) {
    var hint = document.createElement("p");
    hint.className = "table-scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = hintText;
    scroller.parentNode.insertBefore(hint, scroller);
    function update() {
      var overflowing = scroller.scrollWidth > scroller.clientWidth + 1;
      scroller.classList.toggle("is-overflowing", overflowing);
      scroller.classList.toggle("is-scrolled", scroller.scrollLeft > 0);
      scroller.classList.toggle(
        "is-at-end", scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 1
      );
      hint.classList.toggle("is-visible", overflowing);
      // A keyboard user can scroll a list that does not fit (arrow keys once it has focus).
      if (overflowing) {
        scroller.setAttribute("tabindex", "0");
        scroller.setAttribute("role", "region");
        scroller.setAttribute("aria-label", hintText);
      } else {
        scroller.removeAttribute("tabindex");
        scroller.removeAttribute("role");
        scroller.removeAttribute("aria-label");
      }
    }
    scroller.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  });
})();
