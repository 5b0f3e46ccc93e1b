// Enterprise profile: inline validation of the credit code, region and industry (by the server's own rules)
// and the enterprise size computed as the figures are typed. The form still validates on submit without it.
(function () {
  "use strict";
  var form = document.getElementById("profile-form");
  if (!form || !window.fetch) return;

  function message(input) { return document.getElementById("m-" + input.name); }

  function check(input) {
    var value = input.value.trim();
    var box = message(input);
    if (!value) {
      box.textContent = "";
      box.classList.remove("field-error", "field-ok");
      input.removeAttribute("aria-invalid");
      return;
    }
    var params = new URLSearchParams({ field: input.getAttribute("data-check"), value: value });
    fetch("/portal/check?" + params.toString()).then(function (r) { return r.json(); }).then(function (body) {
      box.textContent = body.message;
      box.classList.toggle("field-error", !body.ok);
      box.classList.toggle("field-ok", body.ok);
      input.closest(".field").classList.toggle("invalid", !body.ok);
      if (body.ok) input.removeAttribute("aria-invalid"); else input.setAttribute("aria-invalid", "true");
    });
  }

  var sizeTimer = null;
  function updateSize() {
    clearTimeout(sizeTimer);
    sizeTimer = setTimeout(function () {
      var params = new URLSearchParams();
      ["industry_code", "employees", "annual_revenue", "total_assets"].forEach(function (name) {
        params.set(name, form.elements[name].value);
      });
      fetch("/portal/size?" + params.toString()).then(function (r) { return r.json(); }).then(function (body) {
        document.getElementById("size-output").textContent = body.message;
      });
    }, 250);
  }

  form.querySelectorAll("[data-check]").forEach(function (input) {
    input.addEventListener("change", function () { check(input); });
    input.addEventListener("blur", function () { check(input); });
    if (input.value && !input.getAttribute("aria-invalid")) check(input);
  });
  form.querySelectorAll("[data-size], #f-industry_code").forEach(function (input) {
    input.addEventListener("input", updateSize);
  });

  // "以上均无" excludes the qualifications above it.
  var none = document.getElementById("q-none");
  var quals = form.querySelectorAll("input[name=qualifications]:not(#q-none)");
  none.addEventListener("change", function () { if (none.checked) quals.forEach(function (q) { q.checked = false; }); });
  quals.forEach(function (q) { q.addEventListener("change", function () { if (q.checked) none.checked = false; }); });
})();
