// The console's only script of its own: ages and countdowns tick between server updates.
(function () {
  "use strict";
  function fmt(s) {
    var neg = s < 0; s = Math.abs(Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var out = (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
    return neg ? "-" + out : out;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var age = (now - Date.parse(el.dataset.since)) / 1000;
      el.textContent = fmt(age);
      var row = el.closest("tr");
      var stall = Number(el.dataset.stall || 300);
      if (row && !row.classList.contains("done")) row.classList.toggle("stalled", age >= stall);
    });
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var left = (Date.parse(el.dataset.until) - now) / 1000;
      el.textContent = fmt(left);
      el.classList.toggle("past", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("htmx:sseMessage", tick);
  setInterval(tick, 1000);
  // The stream ends with "signout" when the session did (signed out elsewhere, idle, expired).
  document.addEventListener("htmx:sseMessage", function (e) {
    if (e.detail && e.detail.type === "signout") window.location.assign("/ui/login");
  });
})();
