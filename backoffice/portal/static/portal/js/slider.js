// Sign-up and sign-in pages, no dependencies. Without JS the forms still work:
// the range input can be moved by mouse or keyboard, and both wizard steps show.
(function () {
  "use strict";

  // Slider check: colour the track, say when the thumb is on the mark.
  document.querySelectorAll("[data-slider]").forEach(function (box) {
    var range = box.querySelector("input[type=range]");
    var fill = box.querySelector("[data-slider-fill]");
    var status = box.querySelector("[data-slider-status]");
    var target = parseInt(box.getAttribute("data-target"), 10);
    var idle = status ? status.textContent : "";
    var done = box.getAttribute("data-done-text") || "✓";
    if (!range) { return; }
    function update() {
      var value = parseInt(range.value, 10);
      var on = Math.abs(value - target) <= 3;
      if (fill) { fill.style.width = value + "%"; }
      box.classList.toggle("is-on-target", on);
      if (status) { status.textContent = on ? done : idle; }
    }
    range.addEventListener("input", update);
    update();
  });

  // Registration wizard: step 1 (company, files) then step 2 (contact).
  // A form that came back with errors shows both steps at once: the errors may be
  // in either, and the files must be chosen again in step 1 anyway.
  var form = document.querySelector("[data-wizard]");
  if (!form || form.getAttribute("data-start-step") === "all") { return; }
  var steps = form.querySelectorAll("[data-step]");
  var labels = document.querySelectorAll("[data-step-label]");
  function show(n) {
    steps.forEach(function (step) { step.hidden = step.getAttribute("data-step") !== String(n); });
    labels.forEach(function (label) {
      var k = parseInt(label.getAttribute("data-step-label"), 10);
      label.classList.toggle("is-current", k === n);
      label.classList.toggle("is-done", k < n);
    });
  }
  form.classList.add("js-wizard");
  form.querySelectorAll("[data-step-next], [data-step-prev]").forEach(function (b) { b.hidden = false; });
  form.querySelector("[data-step-next]").addEventListener("click", function () {
    var first = form.querySelector('[data-step="1"]');
    var ok = true;
    first.querySelectorAll("input, select").forEach(function (field) {
      if (ok && field.willValidate && !field.checkValidity()) { field.reportValidity(); ok = false; }
    });
    if (ok) { show(2); window.scrollTo(0, 0); }
  });
  form.querySelector("[data-step-prev]").addEventListener("click", function () { show(1); });
  show(1);
})();
