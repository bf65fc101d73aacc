// irbot console: live countdowns and times in the viewer's own zone. The
// page works without it; it only refines what the server wrote.
(function () {
  "use strict";
  // The words of deadline.Left ("due in 2 d 3 h", "overdue by 5 min"),
  // down to the second, as it ticks.
  function left(ms) {
    var neg = ms <= 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var txt = (d ? d + " d " : "") + (d || h ? h + " h " : "") + (d || h || m ? m + " min " : "") + sec + " s";
    return (neg ? "overdue by " : "due in ") + txt;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      el.textContent = left(due - now);
      el.classList.toggle("overdue", due < now);
    });
  }
  function local() {
    document.querySelectorAll("time.local").forEach(function (el) {
      var t = new Date(el.getAttribute("datetime"));
      // dateStyle/timeStyle cannot be combined with timeZoneName.
      if (!isNaN(t)) el.textContent = "yours: " + t.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    try { local(); } catch (e) { /* the UTC time stays */ }
  });
})();
