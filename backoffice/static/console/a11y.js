/*
 * Staff console accessibility (loaded by unfold/layouts/skeleton.html on every page):
 * unfold draws its icons as Material Symbols ligatures, <span>apartment</span>, which a screen
 * reader reads as text ("apartment 公司"). Every icon is hidden from assistive technology,
 * including the ones htmx or Alpine add later; the control keeps its visible label.
 */
(function () {
  "use strict";

  var ICON = ".material-symbols-outlined, .material-symbols-rounded, .material-symbols-sharp";

  function hide(root) {
    if (root.matches && root.matches(ICON)) {
      root.setAttribute("aria-hidden", "true");
    }
    root.querySelectorAll(ICON).forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }

  hide(document);
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType === Node.ELEMENT_NODE) {
          hide(node);
        }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
