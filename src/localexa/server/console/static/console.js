// The journal page refreshes its rows every 2 s while "live" is ticked (no framework, no CDN).
(function () {
  "use strict";
  var table = document.getElementById("journal");
  var live = document.getElementById("live");
  if (!table || !live || !table.dataset.rows) { return; }
  var body = document.getElementById("journal-rows");
  var older = document.getElementById("journal-older");
  var busy = false;
  var shown = null;  // the rows' HTML as last fetched: an unchanged answer changes nothing
  // Someone is using the rows (a focused link, selected text to copy): swapping them now would
  // drop the focus and the selection, so this tick is skipped.
  function inUse() {
    if (body.contains(document.activeElement)) { return true; }
    var selection = window.getSelection();
    return selection !== null && !selection.isCollapsed && body.contains(selection.anchorNode);
  }
  function refresh() {
    if (!live.checked || busy || document.hidden || inUse()) { return; }
    busy = true;
    fetch(table.dataset.rows, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          // Back here after signing in again (the sign-in page honours `next`).
          var here = window.location.pathname + window.location.search;
          window.location.assign("/console/login?next=" + encodeURIComponent(here));
          return null;
        }
        if (!response.ok) { return null; }
        // Where the entries after these rows start: swapped with the rows, or the entries that
        // scrolled off this page would be on no page until a reload.
        var next = response.headers.get("X-Journal-Older") || "";
        return response.text().then(function (html) { return { html: html, older: next }; });
      })
      .then(function (answer) {
        if (!answer || answer.html === shown || inUse()) { return; }
        shown = answer.html;
        body.innerHTML = answer.html;
        if (older) {
          older.hidden = answer.older === "";
          older.querySelector("a").setAttribute("href", answer.older);
        }
      })
      .catch(function () { /* the next tick retries */ })
      .finally(function () { busy = false; });
  }
  window.setInterval(refresh, 2000);
})();
