/* The supervisors' review queue: messages the assistant was unsure about or got wrong, corrected with one
   click (the right intent, entities optional) or dismissed; corrections export as Rasa NLU YAML. */
(function () {
  "use strict";


  var fmt = window.OKPayTexts.fmt;
  var T = window.OKPayTexts.read().review || {};
  var REASONS = T.reasons || {};
  var TITLES = {};  // intent → Chinese name, from /api/review/labels

  /** "支付失败（payment_failed）", or the bare name when it has no Chinese one. */
  function intentLabel(name, title) {
    if (!name) return "—";
    title = title || TITLES[name];
    return title ? fmt(T.intent_label, { title: title, name: name }) : name;
  }
  var CHANNELS = T.channels || {};
  var STATUSES = T.statuses || {};

  function $(selector, root) { return (root || document).querySelector(selector); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "onclick") node.addEventListener("click", attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|; )okpay_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function call(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf();
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { window.location.href = "/login"; return null; }
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data && data.message) || ("HTTP " + response.status));
        return data;
      });
    });
  }

  function say(text) { $("#review-status").textContent = text; }

  /** "amount:500元, currency:美元" → [{entity, value}]; the server finds each value in the message. */
  function parseEntities(text) {
    return text.split(/[,，;；]/).map(function (part) { return part.trim(); }).filter(Boolean).map(function (part) {
      var at = part.search(/[:：=]/);
      return at < 0 ? { entity: part, value: "" } : { entity: part.slice(0, at).trim(), value: part.slice(at + 1).trim() };
    });
  }

  function showEntities(entities) {
    return (entities || []).map(function (e) { return e.entity + ":" + e.value; }).join(", ");
  }

  function row(item) {
    var tr = el("tr", { "data-id": String(item.id) });
    var when = item.message_at ? item.message_at.replace("T", " ").slice(0, 16) : "";
    tr.appendChild(el("td", {}, when));
    tr.appendChild(el("td", {}, CHANNELS[item.channel] || item.channel || ""));
    var text = el("td", { class: "review-text" }, item.text);
    if (item.count > 1) {
      text.appendChild(el("span", { class: "review-count", title: (item.texts || []).join("\n") },
        "×" + item.count));
    }
    tr.appendChild(text);
    var reason = REASONS[item.reason] || item.reason;
    if (item.flagged && item.reason !== "flagged") reason += T.also_flagged;
    if (item.flagged_by) reason += fmt(T.flagged_by, { agent: item.flagged_by });
    tr.appendChild(el("td", {}, reason));
    var confidence = typeof item.confidence === "number" ? fmt(T.confidence, { percent: Math.round(item.confidence * 100) }) : "";
    tr.appendChild(el("td", {}, intentLabel(item.predicted_intent, item.predicted_title) + confidence));
    var intent = el("input", { list: "intent-options", class: "review-intent", "aria-label": T.intent,
      value: item.corrected_intent || item.predicted_intent || "" });
    var entities = el("input", { class: "review-entities", "aria-label": T.entities, placeholder: T.entities_example,
      value: showEntities(item.corrected_entities || item.entities) });
    [intent, entities].forEach(function (input) {
      var cell = el("td", {});
      cell.appendChild(input);
      tr.appendChild(cell);
    });
    var actions = el("td", {});
    if (item.status !== "pending") {
      actions.appendChild(el("span", { class: "review-done" },
        (STATUSES[item.status] || item.status) + (item.reviewed_by ? "（" + item.reviewed_by + "）" : "")));
    }
    actions.appendChild(el("button", { type: "button", class: "btn review-correct", onclick: function (event) {
      var button = event.currentTarget;
      button.disabled = true;
      call("POST", "/api/review/" + item.id + "/correct", {
        intent: intent.value.trim(), entities: parseEntities(entities.value), group: item.ids || []
      }).then(function (data) {
        if (data) replace(tr, Object.assign({}, item, data.item));
        say(fmt(T.saved, { intent: intentLabel(intent.value.trim()) }) + (item.count > 1 ? fmt(T.saved_count, { count: item.count }) : ""));
      }, function (error) { button.disabled = false; say(fmt(T.not_saved, { message: error.message })); });
    } }, T.confirm));
    if (item.status === "pending") {
      actions.appendChild(el("button", { type: "button", class: "btn btn-quiet review-dismiss", onclick: function (event) {
        event.currentTarget.disabled = true;
        call("POST", "/api/review/" + item.id + "/dismiss", { group: item.ids || [] }).then(function (data) {
          if (data) replace(tr, Object.assign({}, item, data.item));
        }, function (error) { say(fmt(T.not_saved, { message: error.message })); });
      } }, T.dismiss));
    }
    tr.appendChild(actions);
    return tr;
  }

  function replace(tr, item) {
    var keep = $("#status").value;
    if (keep !== "all" && item.status !== keep) tr.remove();
    else tr.replaceWith(row(item));
  }

  function query() {
    var params = new URLSearchParams();
    // Empty on the first load: the server picks the default period in the service's time zone.
    if ($("#from").value) params.set("from", $("#from").value);
    if ($("#to").value) params.set("to", $("#to").value);
    params.set("status", $("#status").value);
    if ($("#channel").value) params.set("channel", $("#channel").value);
    return params.toString();
  }

  function load() {
    say(T.loading);
    return call("GET", "/api/review?" + query()).then(function (data) {
      if (!data) return;
      $("#from").value = data.first_day;
      $("#to").value = data.last_day;
      var body = $("#review-items tbody");
      body.textContent = "";
      if (!data.items.length) {
        var empty = el("tr", {});
        empty.appendChild(el("td", { colspan: "8", class: "muted" }, T.nothing));
        body.appendChild(empty);
      }
      data.items.forEach(function (item) { body.appendChild(row(item)); });
      var total = data.items.reduce(function (sum, item) { return sum + (item.count || 1); }, 0);
      say(fmt(T.summary, { groups: data.items.length, total: total }) + (data.conversations_unavailable ? T.conversations_unavailable : ""));
      document.body.dataset.loaded = "true";
    }, function (error) { say(fmt(T.failed, { message: error.message })); });
  }

  function loadLabels() {
    return call("GET", "/api/review/labels").then(function (data) {
      var list = $("#intent-options");
      TITLES = (data && data.titles) || {};
      (data ? data.intents : []).forEach(function (name) {
        list.appendChild(el("option", { value: name, label: intentLabel(name) }));
      });
    }, function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page !== "review") return;
    $("#review-filters").addEventListener("submit", function (event) { event.preventDefault(); load(); });
    loadLabels().then(load);
  });
})();
