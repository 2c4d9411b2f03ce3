// blockradar report: filters over the events rendered in the page. The state lives in the URL fragment
// (#country=RU&status=in_force ...), so a filtered view can be bookmarked or shared.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var fields = ["country", "platform", "status", "action", "from", "to", "q"];
  var cards = Array.prototype.slice.call(document.querySelectorAll(".event"));
  var bars = Array.prototype.slice.call(document.querySelectorAll(".tl-bar"));

  function current() {
    var s = {};
    fields.forEach(function (name) { s[name] = (form.elements[name].value || "").trim(); });
    s.q = s.q.toLowerCase();
    return s;
  }

  function has(list, value) { return (list || "").split("|").indexOf(value) >= 0; }

  function matches(el, s) {
    var d = el.dataset;
    if (s.country && d.country !== s.country) return false;
    if (s.platform && !has(d.platforms, s.platform)) return false;
    if (s.status && d.status !== s.status) return false;
    if (s.action && !has(d.actions, s.action)) return false;
    if (s.from && d.last < s.from) return false;
    if (s.to && d.first > s.to) return false;
    if (s.q && d.text.indexOf(s.q) < 0) return false;
    return true;
  }

  function apply(updateHash) {
    var s = current();
    var shown = 0;
    cards.forEach(function (el) { var ok = matches(el, s); el.hidden = !ok; if (ok) shown += 1; });
    bars.forEach(function (el) { el.hidden = !matches(el, s); });
    document.querySelectorAll(".tl-row").forEach(function (row) {
      row.hidden = !row.querySelector(".tl-bar:not([hidden])");
    });
    document.querySelectorAll(".tl-country").forEach(function (block) {
      block.hidden = !block.querySelector(".tl-row:not([hidden])");
    });
    document.getElementById("shown").textContent = String(shown);
    document.getElementById("no-match").hidden = shown > 0;
    if (updateHash) {
      var params = new URLSearchParams();
      fields.forEach(function (name) { var v = form.elements[name].value.trim(); if (v) params.set(name, v); });
      var hash = params.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }

  function fromHash() {
    var text = location.hash.replace(/^#/, "");
    if (text && text.indexOf("=") < 0) return;  // a link to one event (#ev-...), not a filter
    var params = new URLSearchParams(text);
    fields.forEach(function (name) { form.elements[name].value = params.get(name) || ""; });
  }

  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", function () { fromHash(); apply(false); });
  fromHash();
  apply(false);
  document.documentElement.classList.add("js");
})();
