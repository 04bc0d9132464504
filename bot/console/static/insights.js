/* The supervisor's analytics page: figures from /api/insights drawn with Chart.js (served from
   /static/vendor, no CDN), each chart with its numbers in a table beside it. */
(function () {
  "use strict";


  var fmt = window.OKPayTexts.fmt;
  var T = window.OKPayTexts.read().insights || {};
  var STATUS_LABELS = T.status || {};
  var OUTCOME_LABELS = T.outcomes || {};
  var OUTCOMES = [
    ["solved", OUTCOME_LABELS.solved, "#2e9d5b"], ["ticket", OUTCOME_LABELS.ticket, "#d9822b"],
    ["exhausted", OUTCOME_LABELS.exhausted, "#8e6bbf"], ["left", OUTCOME_LABELS.left, "#c0392b"]
  ];
  var BLUE = "#2f6fde";
  var charts = {};
  var latest = null;

  function $(selector) { return document.querySelector(selector); }

  function percent(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }
  function number(value) { return value === null || value === undefined ? "—" : String(value); }

  function query() {
    var params = new URLSearchParams();
    // Empty on the first load: the server picks the default period in the service's time zone.
    if ($("#from").value) params.set("from", $("#from").value);
    if ($("#to").value) params.set("to", $("#to").value);
    if ($("#channel").value) params.set("channel", $("#channel").value);
    return params.toString();
  }

  function fillTable(id, headers, rows) {
    var table = $("#table-" + id);
    var head = table.querySelector("thead"), body = table.querySelector("tbody");
    head.textContent = "";
    body.textContent = "";
    var tr = document.createElement("tr");
    headers.forEach(function (title, i) {
      var th = document.createElement("th");
      th.textContent = title;
      if (i > 0) th.className = "num";
      tr.appendChild(th);
    });
    head.appendChild(tr);
    if (!rows.length) {
      var empty = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = headers.length;
      td.className = "muted";
      td.textContent = T.no_data;
      empty.appendChild(td);
      body.appendChild(empty);
      return;
    }
    rows.forEach(function (row) {
      var line = document.createElement("tr");
      row.forEach(function (value, i) {
        var cell = document.createElement("td");
        cell.textContent = number(value);
        if (i > 0) cell.className = "num";
        line.appendChild(cell);
      });
      body.appendChild(line);
    });
  }

  function draw(id, type, labels, datasets, options) {
    if (charts[id]) charts[id].destroy();
    var config = {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign({
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 || type === "doughnut" } }
      }, options || {})
    };
    charts[id] = new window.Chart($("#chart-" + id), config);
  }

  function bars(id, labels, label, values, options) {
    draw(id, "bar", labels, [{ label: label, data: values, backgroundColor: BLUE }], options);
  }

  function renderCards(f) {
    $("#card-conversations").textContent = number(f.conversations);
    $("#card-messages").textContent = number(f.messages.user);
    $("#card-fallback").textContent = percent(f.fallback.rate);
    $("#card-handoff").textContent = percent(f.handoff.rate);
    $("#card-waiting").textContent = number(f.agents.waiting.average);
    $("#card-handling").textContent = number(f.agents.handling.average);
    $("#card-satisfaction").textContent = number(f.satisfaction.average);
  }

  function renderSteps() {
    var name = $("#step-guide").value;
    var guide = (latest.guides || []).filter(function (g) { return g.guide === name; })[0];
    var steps = guide ? guide.steps : [];
    var labels = steps.map(function (s) { return s.step + ". " + s.label; });
    draw("steps", "bar", labels, [
      { label: T.reached, data: steps.map(function (s) { return s.reached; }), backgroundColor: BLUE },
      { label: T.solved_here, data: steps.map(function (s) { return s.solved; }), backgroundColor: "#2e9d5b" },
      { label: T.left_here, data: steps.map(function (s) { return s.left; }), backgroundColor: "#c0392b" }
    ]);
    fillTable("steps", T.step_columns, steps.map(function (s) {
      return [s.step + ". " + s.label, s.reached, s.solved, s.left];
    }));
  }

  function render(f) {
    latest = f;
    renderCards(f);
    bars("daily", f.daily.map(function (d) { return d.day; }), T.conversations,
         f.daily.map(function (d) { return d.conversations; }));
    fillTable("daily", T.daily_columns, f.daily.map(function (d) {
      return [d.day, d.conversations, d.messages];
    }));
    bars("intents", f.intents.map(function (i) { return i.intent; }), T.messages,
         f.intents.map(function (i) { return i.count; }), { indexAxis: "y" });
    fillTable("intents", T.intent_columns, f.intents.map(function (i) { return [i.intent, i.count]; }));

    draw("guides", "bar", f.guides.map(function (g) { return g.title; }), OUTCOMES.map(function (o) {
      return { label: o[1], data: f.guides.map(function (g) { return g[o[0]]; }), backgroundColor: o[2] };
    }), { scales: { x: { stacked: true }, y: { stacked: true } } });
    fillTable("guides", T.guide_columns, f.guides.map(function (g) {
      return [g.title, g.started, g.solved, g.ticket, g.exhausted, g.left];
    }));

    var select = $("#step-guide"), keep = select.value;
    select.textContent = "";
    f.guides.forEach(function (g) {
      var option = document.createElement("option");
      option.value = g.guide;
      option.textContent = g.title;
      select.appendChild(option);
    });
    if (keep && f.guides.some(function (g) { return g.guide === keep; })) select.value = keep;
    renderSteps();

    var categories = Object.keys(f.tickets.by_category).sort();
    bars("categories", categories, T.tickets, categories.map(function (c) { return f.tickets.by_category[c]; }));
    fillTable("categories", T.category_columns, categories.map(function (c) { return [c, f.tickets.by_category[c]]; }));
    var statuses = Object.keys(f.tickets.by_status).sort();
    draw("statuses", "doughnut", statuses.map(function (s) { return STATUS_LABELS[s] || s; }), [{
      label: T.tickets, data: statuses.map(function (s) { return f.tickets.by_status[s]; }),
      backgroundColor: ["#2f6fde", "#2e9d5b", "#d9822b", "#8e6bbf", "#c0392b"]
    }]);
    fillTable("statuses", T.status_columns, statuses.map(function (s) {
      return [STATUS_LABELS[s] || s, f.tickets.by_status[s]];
    }));

    var times = [[T.waiting, f.agents.waiting], [T.handling, f.agents.handling]];
    draw("agents", "bar", T.time_columns, times.map(function (t, i) {
      return { label: t[0], data: [t[1].average, t[1].median, t[1].p90], backgroundColor: i ? "#2e9d5b" : BLUE };
    }));
    fillTable("agents", T.agent_columns, times.map(function (t) {
      return [t[0], t[1].count, t[1].average, t[1].median, t[1].p90];
    }));

    var scores = ["1", "2", "3", "4", "5"];
    bars("satisfaction", scores.map(function (s) { return fmt(T.score, { score: s }); }), T.ratings,
         scores.map(function (s) { return f.satisfaction.distribution[s]; }));
    fillTable("satisfaction", T.score_columns, scores.map(function (s) {
      return [fmt(T.score, { score: s }), f.satisfaction.distribution[s]];
    }));
  }

  function updateExportLinks() {
    Array.prototype.forEach.call(document.querySelectorAll(".exports a"), function (link) {
      link.href = "/api/insights/export/" + link.dataset.kind + "." + link.dataset.format + "?" + query();
    });
  }

  function load() {
    var status = $("#insights-status");
    status.textContent = T.loading;
    updateExportLinks();
    var started = Date.now();
    return fetch("/api/insights?" + query(), { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { window.location.href = "/login"; return null; }
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body && body.message) || ("HTTP " + response.status));
        return body;
      });
    }).then(function (figures) {
      if (!figures) return;
      $("#from").value = figures.period.first_day;
      $("#to").value = figures.period.last_day;
      updateExportLinks();
      render(figures);
      status.textContent = fmt(T.updated, { ms: Date.now() - started });
      document.body.dataset.loaded = "true";
    }).catch(function (error) {
      status.textContent = fmt(T.failed, { message: error.message });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page !== "insights") return;
    $("#insights-filters").addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    $("#step-guide").addEventListener("change", renderSteps);
    load();
  });
})();
