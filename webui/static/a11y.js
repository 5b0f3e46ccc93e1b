// Large-text mode (信息无障碍): applied before the first paint, remembered in localStorage.
(function () {
  var KEY = "policykb-large-text";
  var root = document.documentElement;
  try { if (localStorage.getItem(KEY) === "1") root.classList.add("large-text"); } catch (e) { /* storage disabled */ }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("text-size");
    if (!button) return;
    var sync = function () {
      var on = root.classList.contains("large-text");
      button.setAttribute("aria-pressed", on ? "true" : "false");
    };
    sync();
    button.addEventListener("click", function () {
      root.classList.toggle("large-text");
      try { localStorage.setItem(KEY, root.classList.contains("large-text") ? "1" : "0"); } catch (e) { /* ignore */ }
      sync();
    });
  });
})();
