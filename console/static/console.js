/* Écoute console: keyboard navigation of the queue and the dashboard's charts.
   Served as a file so the Content-Security-Policy can forbid inline scripts. */
(function () {
  "use strict";

  var FOCUS_KEY = "ecoute.focus." + location.pathname;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".item[tabindex]"));
  }

  function current() {
    var active = document.activeElement;
    var item = active && active.closest ? active.closest(".item") : null;
    return item || document.querySelector(".item.current") || items()[0] || null;
  }

  function select(item) {
    if (!item) return;
    items().forEach(function (other) { other.classList.remove("current"); });
    item.classList.add("current");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    var index = items().indexOf(item);
    try { sessionStorage.setItem(FOCUS_KEY, String(index)); } catch (e) { /* private mode */ }
  }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var index = list.indexOf(current());
    var next = Math.max(0, Math.min(list.length - 1, index + step));
    select(list[next]);
  }

  function within(item, key) {
    return item ? item.querySelector('[data-key="' + key + '"]') : null;
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function remember(event) {
    var item = event.target.closest ? event.target.closest(".item") : null;
    if (item) {
      try { sessionStorage.setItem(FOCUS_KEY, String(items().indexOf(item))); } catch (e) { /* ignore */ }
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    var target = event.target;
    if (event.key === "Escape" && typing(target)) {
      var holder = target.closest(".item");
      target.blur();
      if (holder) select(holder);
      return;
    }
    if (event.ctrlKey && event.key === "Enter" && target.tagName === "TEXTAREA") {
      var approve = within(target.closest(".item"), "a");
      if (approve) { event.preventDefault(); approve.click(); }
      return;
    }
    if (event.key === "Enter" && target.tagName === "SELECT" && target.form) {
      // A select has no implicit submission: Enter on it sends its form, like a text field.
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (event.ctrlKey || typing(target)) return;
    var item = current();
    var field;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a":
        field = within(item, "a");
        if (field) field.click();
        break;
      case "e":
        field = item && item.querySelector("textarea");
        if (field) field.focus();
        break;
      case "r":
        field = within(item, "r");
        if (field) field.focus();
        break;
      case "c":
        field = within(item, "c");
        if (field) field.focus();
        break;
      case "o":
      case "Enter":
        if (target.closest && target.closest("a, button")) return;
        field = within(item, "o");
        if (field) field.click();
        break;
      case "?":
        var dialog = document.getElementById("shortcuts");
        if (dialog && dialog.showModal) dialog.open ? dialog.close() : dialog.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  function restoreFocus() {
    var list = items();
    if (!list.length) return;
    var index = 0;
    if (location.hash) {
      var anchored = document.querySelector(location.hash.replace(/[^#\w-]/g, ""));
      if (anchored && list.indexOf(anchored) >= 0) index = list.indexOf(anchored);
    } else {
      try { index = parseInt(sessionStorage.getItem(FOCUS_KEY) || "0", 10) || 0; } catch (e) { index = 0; }
    }
    if (!document.activeElement || document.activeElement === document.body) {
      select(list[Math.min(index, list.length - 1)]);
    }
  }

  var PALETTE = ["#c2410c", "#1f5fbf", "#6b7280", "#b3261e", "#0f766e", "#7c3aed", "#a16207"];

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function lineChart(canvasId, days, series, names) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) return;
    var keys = Object.keys(series);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(function (d) { return d.slice(5); }),
        datasets: keys.map(function (key, i) {
          return { label: (names && names[key]) || key, data: series[key], backgroundColor: PALETTE[i % PALETTE.length] };
        })
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    });
  }

  function charts() {
    var data = readJson("chart-data");
    if (!data || !window.Chart) return;
    var labels = readJson("chart-labels") || {};
    lineChart("chart-category", data.days, data.category, labels.category);
    lineChart("chart-platform", data.days, data.platform);
    lineChart("chart-language", data.days, data.language);
    var canvas = document.getElementById("chart-satisfaction");
    if (canvas) {
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: Object.keys(data.satisfaction),
          datasets: [{ label: labels.satisfaction || "satisfaction", data: Object.values(data.satisfaction), backgroundColor: "#0f766e" }] },
        options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } }
      });
    }
    document.body.setAttribute("data-charts", "ready");
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("submit", remember, true);
  document.addEventListener("DOMContentLoaded", function () {
    restoreFocus();
    charts();
    document.body.setAttribute("data-ready", "1");
  });
})();
