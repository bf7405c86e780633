// The journal page refreshes its rows every 2 s while "live" is ticked (no framework, no CDN).
(function () {
  "use strict";
  var table = document.getElementById("journal");
  var live = document.getElementById("live");
  if (!table || !live || !table.dataset.rows) { return; }
  var body = document.getElementById("journal-rows");
  var busy = false;
  function refresh() {
    if (!live.checked || busy || document.hidden) { return; }
    busy = true;
    fetch(table.dataset.rows, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/console/login"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) { body.innerHTML = html; } })
      .catch(function () { /* the next tick retries */ })
      .finally(function () { busy = false; });
  }
  window.setInterval(refresh, 2000);
})();
