// Ordering pages (cart, checkout, e-order, payment, orders), no dependencies.
// Every page works without JS: these are conveniences. The server computes every amount;
// nothing here adds money up.
(function () {
  "use strict";
  if (window.__ordersJs) { return; }
  window.__ordersJs = true;

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function submitForm(form, submitter) {
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Buttons only needed without JS (update quantity, update selection).
  function hideNoscriptButtons() {
    document.querySelectorAll("[data-noscript-only]").forEach(function (el) { el.hidden = true; });
  }

  // Confirmation on destructive buttons (delete a cart line, cancel an order).
  function initConfirm() {
    if (document.querySelector("[data-account-menu]")) { return; }  // the personal center has its own
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-confirm]");
      if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  }

  // Cart: plan and quantity changes submit their row's form.
  function initAutosubmit() {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { submitForm(el.form); });
    });
  }

  // Cart: the checked rows are saved on the server, which answers the count and the total.
  function initCartSelection() {
    var form = document.querySelector("[data-cart-select]");
    if (!form) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-line-check]"));
    var all = document.querySelector("[data-cart-check-all]");
    var checkout = document.querySelector("[data-checkout]");
    var countText = document.querySelector("[data-selected-text]");
    var total = document.querySelector("[data-cart-total]");

    function save() {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      boxes.forEach(function (box) { if (box.checked) { body.append("lines", box.value); } });
      if (checkout) { checkout.disabled = true; }
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { window.location.reload(); return; }
        if (countText) { countText.textContent = result.data.selected_text; }
        if (total) { total.textContent = result.data.total; }
        if (checkout) { checkout.disabled = !result.data.can_checkout; }
        if (all) { all.checked = boxes.length > 0 && boxes.every(function (b) { return b.checked; }); }
      }).catch(function () { window.location.reload(); });
    }

    boxes.forEach(function (box) { box.addEventListener("change", save); });
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        save();
      });
    }
  }

  // Checkout: show the blocks of the chosen answers; radio changes ask the server to re-price.
  function initCheckout() {
    var form = document.querySelector("[data-checkout-form]");
    if (!form) { return; }
    var recalc = form.querySelector("[data-recalculate]");

    function current(name) {
      var checked = form.querySelector("input[name='" + name + "']:checked");
      return checked ? checked.value : "";
    }
    function refresh() {
      form.querySelectorAll("[data-show-when]").forEach(function (block) {
        var rule = block.getAttribute("data-show-when").split("=");
        block.hidden = current(rule[0]) !== rule[1];
      });
    }
    form.querySelectorAll("[data-toggle]").forEach(function (input) {
      input.addEventListener("change", refresh);
    });
    // Switching the rebate on pre-fills the usable amount (the server computed it:
    // the balance, at most what is payable), unless an amount was already entered.
    var rebate = form.querySelector("[data-rebate-usable]");
    function prefillRebate(input) {
      if (!rebate || input.name !== "use_rebate" || input.value !== "yes") { return; }
      var entered = parseFloat(rebate.value);
      if (isNaN(entered) || entered <= 0) { rebate.value = rebate.getAttribute("data-rebate-usable"); }
    }
    form.querySelectorAll("input[type=radio][data-recalc]").forEach(function (input) {
      input.addEventListener("change", function () {
        prefillRebate(input);
        submitForm(form, recalc);
      });
    });
    refresh();
  }

  // 生成电子订单: one submission only (the server is idempotent anyway).
  function initEorder() {
    var form = document.querySelector("[data-eorder-form]");
    if (!form) { return; }
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
    });
    var body = document.querySelector("[data-eorder-body]");
    if (body) { body.focus(); }
  }

  // 【电子合同】 opens 查看电子订单 over the list: the server's dialog markup in a <dialog>.
  // 取消 and Escape close it; 下载电子合同 stays a plain download link. Without <dialog> or
  // fetch the link opens the contract's own page.
  function initContractDialog() {
    var dialog = null;
    function close() { if (dialog && dialog.open) { dialog.close(); } }
    document.addEventListener("click", function (event) {
      var cancel = event.target.closest && event.target.closest("dialog [data-contract-close]");
      if (cancel) { event.preventDefault(); close(); return; }
      var link = event.target.closest && event.target.closest("a[data-contract-view]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      if (typeof HTMLDialogElement === "undefined" || !window.fetch) { return; }
      event.preventDefault();
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("partial", "1");
      fetch(url.toString(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          if (!dialog) {
            dialog = document.createElement("dialog");
            dialog.className = "contract-modal";
            document.body.appendChild(dialog);
            dialog.addEventListener("click", function (e) { if (e.target === dialog) { close(); } });
          }
          dialog.innerHTML = html;
          dialog.showModal();
          var body = dialog.querySelector("[data-eorder-body]");
          if (body) { body.focus(); }
        })
        .catch(function () { window.location.href = link.href; });
    });
  }

  // 蓝云支付平台: the countdown (the server decides when the order is cancelled).
  function initCountdown() {
    var box = document.querySelector("[data-countdown]");
    if (!box) { return; }
    var left = parseInt(box.getAttribute("data-countdown"), 10) || 0;
    var text = box.querySelector("[data-countdown-text]");
    var format = box.getAttribute("data-countdown-format") || "%(minutes)s:%(seconds)s";
    var payButton = document.querySelector("[data-pay-now]");
    var end = Date.now() + left * 1000;

    function tick() {
      var remaining = Math.max(0, Math.round((end - Date.now()) / 1000));
      if (text) {
        text.textContent = format
          .replace("%(minutes)s", String(Math.floor(remaining / 60)))
          .replace("%(seconds)s", String(remaining % 60));
      }
      if (remaining <= 0) {
        box.textContent = box.getAttribute("data-expired-text") || "";
        if (payButton) { payButton.disabled = true; }
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  ready(function () {
    hideNoscriptButtons();
    initConfirm();
    initAutosubmit();
    initCartSelection();
    initCheckout();
    initEorder();
    initCountdown();
    initContractDialog();
  });
})();
