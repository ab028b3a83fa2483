/*
 * Review queues (backoffice/admin/queues.py, QueueRowActionsMixin): a row's 确认 is a link
 * to "<pk>/row-confirm/". Here it asks the browser's confirmation dialog, then POSTs to that
 * URL with the page's CSRF token; the server confirms through the queue's service and comes
 * back to the list. Without this script the link opens the confirm page (a GET decides
 * nothing). No inline code: the Content-Security-Policy allows only files like this one.
 */
(function () {
  "use strict";

  function visibleText(element) {
    if (!element) {
      return "";
    }
    const copy = element.cloneNode(true);
    copy.querySelectorAll(".material-symbols-outlined").forEach(function (icon) {
      icon.remove();
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[href$='/row-confirm/']");
    if (!link) {
      return;
    }
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!token) {
      return; // no token on this page: follow the link to the confirm page
    }
    event.preventDefault();
    const row = link.closest("tr");
    const item = row ? visibleText(row.querySelector("th a, td a")) : "";
    const question = visibleText(link) + (item ? ": " + item : "") + "?";
    if (!window.confirm(question)) {
      return;
    }
    const form = document.createElement("form");
    form.method = "post";
    form.action = link.href;
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "csrfmiddlewaretoken";
    input.value = token.value;
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  });
})();
