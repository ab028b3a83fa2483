// Storefront behaviour, no dependencies. Every feature also works without JS:
// the carousel is a stacked list, tabs are links/stacked sections, plan buttons
// are ?sku= links and the lead dialogs are full pages.
(function () {
  "use strict";
  if (window.__catalogJs) { return; }  // the mega-menu include may load this file twice
  window.__catalogJs = true;

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  // ---- Mega-menu: hover/focus a top category to show its panel; Esc closes ----
  function initMegaMenu() {
    document.querySelectorAll("[data-mega-menu]").forEach(function (menu) {
      var item = menu.closest(".has-mega");
      function show(pk) {
        menu.querySelectorAll("[data-mega-top]").forEach(function (a) {
          a.classList.toggle("is-active", a.getAttribute("data-mega-top") === pk);
        });
        menu.querySelectorAll("[data-mega-panel]").forEach(function (p) {
          p.classList.toggle("is-active", p.getAttribute("data-mega-panel") === pk);
        });
      }
      menu.querySelectorAll("[data-mega-top]").forEach(function (a) {
        var pk = a.getAttribute("data-mega-top");
        a.addEventListener("mouseenter", function () { show(pk); });
        a.addEventListener("focus", function () { show(pk); });
      });
      if (!item) { return; }
      var trigger = item.querySelector(":scope > a");
      if (trigger) {
        trigger.setAttribute("aria-haspopup", "true");
        trigger.setAttribute("aria-controls", menu.id);
      }
      item.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          item.classList.add("is-closed");
          if (trigger) { trigger.focus(); }
        }
      });
      item.addEventListener("mouseleave", function () { item.classList.remove("is-closed"); });
      item.addEventListener("focusout", function (event) {
        if (!item.contains(event.relatedTarget)) { item.classList.remove("is-closed"); }
      });
    });
  }

  // ---- Carousel: one slide at a time, prev/next, dots, auto-advance ----
  function initCarousels() {
    document.querySelectorAll("[data-carousel]").forEach(function (box) {
      var slides = box.querySelectorAll("[data-slide]");
      if (slides.length < 2) { return; }
      var current = 0;
      var timer = null;
      var dots = box.querySelector("[data-carousel-dots]");
      var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      box.classList.add("is-ready");
      box.querySelectorAll("[data-carousel-prev], [data-carousel-next], [data-carousel-dots]").forEach(function (el) { el.hidden = false; });
      if (dots) {
        slides.forEach(function (_, i) {
          var b = document.createElement("button");
          b.type = "button";
          b.setAttribute("aria-label", String(i + 1));
          b.addEventListener("click", function () { go(i); restart(); });
          dots.appendChild(b);
        });
      }
      function go(n) {
        current = (n + slides.length) % slides.length;
        slides.forEach(function (slide, i) {
          var on = i === current;
          slide.classList.toggle("is-active", on);
          slide.setAttribute("aria-hidden", on ? "false" : "true");
          slide.querySelectorAll("a").forEach(function (a) { a.tabIndex = on ? 0 : -1; });
        });
        if (dots) {
          dots.querySelectorAll("button").forEach(function (b, i) { b.setAttribute("aria-current", i === current ? "true" : "false"); });
        }
      }
      function stop() { if (timer) { clearInterval(timer); timer = null; } }
      function restart() {
        stop();
        if (!reduce) { timer = setInterval(function () { go(current + 1); }, 5000); }
      }
      box.querySelector("[data-carousel-prev]").addEventListener("click", function () { go(current - 1); restart(); });
      box.querySelector("[data-carousel-next]").addEventListener("click", function () { go(current + 1); restart(); });
      box.addEventListener("mouseenter", stop);
      box.addEventListener("mouseleave", restart);
      box.addEventListener("focusin", stop);
      box.addEventListener("focusout", restart);
      go(0);
      restart();
    });
  }

  // ---- Tabs: switch panels in place; arrow keys move between tabs ----
  function initTabs() {
    document.querySelectorAll("[data-tabs]").forEach(function (box) {
      var tabs = Array.prototype.slice.call(box.querySelectorAll("[data-tab]"));
      var panels = box.querySelectorAll("[data-tab-panel]");
      if (!tabs.length) { return; }
      box.classList.add("js-tabs");
      function select(key, focus) {
        tabs.forEach(function (tab) {
          var on = tab.getAttribute("data-tab") === key;
          tab.classList.toggle("is-active", on);
          tab.setAttribute("aria-selected", on ? "true" : "false");
          tab.tabIndex = on ? 0 : -1;
          if (on && focus) { tab.focus(); }
        });
        panels.forEach(function (panel) { panel.hidden = panel.getAttribute("data-tab-panel") !== key; });
      }
      tabs.forEach(function (tab, index) {
        tab.addEventListener("click", function (event) {
          event.preventDefault();
          select(tab.getAttribute("data-tab"), false);
          if (box.hasAttribute("data-tabs-hash") && window.history.replaceState) {
            window.history.replaceState(null, "", "#" + tab.getAttribute("aria-controls"));
          }
        });
        tab.addEventListener("keydown", function (event) {
          var move = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
          if (!move) { return; }
          event.preventDefault();
          var next = tabs[(index + move + tabs.length) % tabs.length];
          select(next.getAttribute("data-tab"), true);
        });
      });
      var start = tabs[0].getAttribute("data-tab");
      if (box.hasAttribute("data-tabs-hash") && window.location.hash) {
        var wanted = box.querySelector('[aria-controls="' + window.location.hash.slice(1) + '"]');
        if (wanted) { start = wanted.getAttribute("data-tab"); }
      }
      select(start, false);
    });
  }

  // ---- Solution detail: region / plan switching updates the price without reload ----
  function initPlans() {
    var dataNode = document.getElementById("sku-data");
    if (!dataNode) { return; }
    var skus = JSON.parse(dataNode.textContent);
    var byCode = {};
    skus.forEach(function (s) { byCode[s.code] = s; });
    var price = document.querySelector("[data-price]");
    var input = document.querySelector("[data-sku-input]");
    var planLinks = document.querySelectorAll("[data-sku]");
    var regionLinks = document.querySelectorAll("[data-region]");

    function choose(code) {
      var sku = byCode[code];
      if (!sku) { return; }
      regionLinks.forEach(function (a) {
        var on = a.getAttribute("data-region") === sku.region;
        a.classList.toggle("is-selected", on);
        a.setAttribute("aria-pressed", on ? "true" : "false");
      });
      planLinks.forEach(function (a) {
        var on = a.getAttribute("data-sku") === code;
        a.hidden = a.getAttribute("data-sku-region") !== sku.region;
        a.classList.toggle("is-selected", on);
        a.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (price) { price.textContent = sku.price; }
      if (input) { input.value = code; }
      if (window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("sku", code);
        window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      }
    }
    planLinks.forEach(function (a) {
      a.addEventListener("click", function (event) { event.preventDefault(); choose(a.getAttribute("data-sku")); });
    });
    regionLinks.forEach(function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        var region = a.getAttribute("data-region");
        var first = skus.filter(function (s) { return s.region === region; })[0];
        if (first) { choose(first.code); }
      });
    });
  }

  // ---- Quantity stepper (1–max) ----
  function initSteppers() {
    document.querySelectorAll("[data-stepper]").forEach(function (box) {
      var input = box.querySelector("input");
      var min = parseInt(input.min, 10) || 1;
      var max = parseInt(input.max, 10) || 9999;
      function clamp(v) { v = parseInt(v, 10); if (isNaN(v)) { v = min; } return Math.min(max, Math.max(min, v)); }
      box.querySelectorAll("[data-step]").forEach(function (b) {
        b.hidden = false;
        b.addEventListener("click", function () {
          input.value = clamp(clamp(input.value) + parseInt(b.getAttribute("data-step"), 10));
        });
      });
      input.addEventListener("change", function () { input.value = clamp(input.value); });
    });
  }

  // ---- Character counters on textareas with data-counter ----
  function initCounters(root) {
    (root || document).querySelectorAll("textarea[data-counter]").forEach(function (area) {
      if (area.dataset.counterReady) { return; }
      area.dataset.counterReady = "1";
      var max = parseInt(area.getAttribute("data-counter"), 10);
      var out = document.createElement("span");
      out.className = "lead-counter";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
      function update() {
        out.textContent = area.value.length + " / " + max;
        out.classList.toggle("is-over", area.value.length > max);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  // ---- Lead dialogs: ticket and trial forms load into a <dialog> ----
  var dialog = null;
  function getDialog() {
    if (dialog) { return dialog; }
    dialog = document.createElement("dialog");
    dialog.className = "catalog-dialog";
    dialog.setAttribute("aria-label", document.documentElement.lang.indexOf("zh") === 0 ? "表单" : "Form");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "dialog-close";
    close.setAttribute("aria-label", document.documentElement.lang.indexOf("zh") === 0 ? "关闭" : "Close");
    close.textContent = "×";
    close.addEventListener("click", function () { dialog.close(); });
    var body = document.createElement("div");
    body.setAttribute("data-dialog-body", "");
    dialog.appendChild(close);
    dialog.appendChild(body);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); }
      var cancel = event.target.closest && event.target.closest("[data-modal-close]");
      if (cancel) { event.preventDefault(); dialog.close(); }
    });
    document.body.appendChild(dialog);
    return dialog;
  }
  function openModal(href) {
    if (typeof HTMLDialogElement === "undefined" || !window.fetch) { window.location.href = href; return; }
    var url = new URL(href, window.location.href);
    url.searchParams.set("partial", "1");
    fetch(url.toString(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var d = getDialog();
        var body = d.querySelector("[data-dialog-body]");
        body.innerHTML = html;
        var next = body.querySelector("input[name=next]");
        if (next) { next.value = window.location.pathname + window.location.search; }
        initCounters(body);
        d.showModal();
        var first = body.querySelector("select, input:not([type=hidden]), textarea");
        if (first) { first.focus(); }
      })
      .catch(function () { window.location.href = href; });
  }
  function initModals() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-modal]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      openModal(link.href);
    });
    // The floating 联系我们 button opens the ticket dialog (spec 0.3).
    document.querySelectorAll(".contact-float").forEach(function (a) {
      if (a.hasAttribute("data-modal")) { return; }
      a.href = "/tickets/new/";
      a.setAttribute("data-modal", "");
    });
  }

  ready(function () {
    initMegaMenu();
    initCarousels();
    initTabs();
    initPlans();
    initSteppers();
    initCounters();
    initModals();
  });
})();
