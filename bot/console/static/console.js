/* OKPay 客服工作台: the pages' behaviour. Plain JavaScript, no framework, no build step.
 *
 * Every page talks to the JSON API under /api with fetch(). A 401 sends the agent to
 * /login; any other refusal shows the server's `message` in the page's notice area.
 */
(function () {
  "use strict";

  var TEXT = window.OKPayTexts.read();
  var LABELS = TEXT.labels || {}, UI = TEXT.ui || {};
  var STATUS_LABELS = LABELS.status || {};
  var CHANNEL_LABELS = LABELS.channels || {};
  var REASON_LABELS = LABELS.handoff_reasons || {};
  var UNREADABLE_LABELS = LABELS.unreadable || {};
  var UNDELIVERED_LABELS = LABELS.undelivered || {};
  var SYSTEM_LABELS = LABELS.system || {};
  var PRIORITY_LABELS = LABELS.priority || {};
  var QUEUE_LABELS = LABELS.queues || {};
  var NOT_DELIVERED = UI.not_delivered;

  var fmt = window.OKPayTexts.fmt;
  var PENDING_NOTICE_KEY = "okpay-console-notice";

  // ------------------------------------------------------------------ helpers

  function $(selector, root) { return (root || document).querySelector(selector); }

  /** Builds an element: el("td", {class: "x", title: "…"}, child, "text", …). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = value;
        else if (name === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /** "2024-05-01T08:03:00+00:00" → "05-01 16:03" in the browser's time zone (with the year if not this year). */
  function formatDateTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var day = pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    if (d.getFullYear() !== new Date().getFullYear()) day = d.getFullYear() + "-" + day;
    return day + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /** Rasa timestamps are seconds since the epoch. */
  function formatClock(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds)) return "";
    var d = new Date(seconds * 1000);
    var today = new Date();
    var clock = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    if (d.toDateString() === today.toDateString()) return clock;
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + clock;
  }

  /** Seconds → "m:ss" (minutes keep counting past 60). */
  function formatWait(seconds) {
    if (typeof seconds !== "number" || seconds < 0) return "—";
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + pad(s % 60);
  }

  function excerpt(text, max) {
    if (!text) return "";
    var flat = String(text).replace(/\s+/g, " ").trim();
    return flat.length > max ? flat.slice(0, max) + "…" : flat;
  }

  function channelLabel(channel) { return CHANNEL_LABELS[channel] || channel || "—"; }

  function agentLabel(agent) {
    return agent ? agent.display_name + "（" + agent.agent_number + "）" : "";
  }

  // ------------------------------------------------------------------- notice

  var noticeSource = null;
  var noticeTimer = null;

  /** Shows `text` in the page's notice area. kind: "error" | "warn" | "info". */
  function showNotice(text, kind, source) {
    var box = $(".notice");
    if (!box) { window.alert(text); return; }
    $(".notice-text", box).textContent = text;
    box.classList.remove("notice-warn", "notice-info");
    if (kind === "warn") box.classList.add("notice-warn");
    if (kind === "info") box.classList.add("notice-info");
    box.hidden = false;
    noticeSource = source || null;
    if (noticeTimer) { clearTimeout(noticeTimer); noticeTimer = null; }
    if (kind === "info") noticeTimer = setTimeout(hideNotice, 6000);
  }

  function hideNotice() {
    var box = $(".notice");
    if (box) box.hidden = true;
    noticeSource = null;
  }

  /** Hides the notice only if it came from `source` (a poll that has recovered). */
  function clearNoticeFrom(source) {
    if (noticeSource === source) hideNotice();
  }

  function showError(error, source) {
    if (error && error.redirecting) return; // on the way to /login
    showNotice((error && error.message) || UI.failed, "error", source);
  }

  function reportDelivery(data) {
    if (data && data.delivered === false) showNotice(NOT_DELIVERED, "warn");
  }

  // ---------------------------------------------------------------------- API

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  var CSRF_COOKIE = "okpay_csrf";

  /** The sign-in's CSRF token: from its cookie, else (cookie gone) asked of /api/me. */
  function csrfToken() {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + CSRF_COOKIE + "=([^;]*)"));
    if (match) return Promise.resolve(decodeURIComponent(match[1]));
    return api("GET", "/api/me").then(function (data) { return (data && data.csrf_token) || ""; });
  }

  /** fetch() against the JSON API: resolves with the JSON body, rejects with an ApiError.
   *  Every POST but the sign-in carries the CSRF token in X-CSRF-Token. */
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "GET" || method === "HEAD") return send(path, options);
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body || {});
    if (path === "/api/login") return send(path, options);
    return csrfToken().then(function (token) {
      options.headers["X-CSRF-Token"] = token;
      return send(path, options);
    });
  }

  function send(path, options) {
    return fetch(path, options).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (ignored) { data = null; }
        if (response.status === 401 && path !== "/api/login") {
          window.location.assign("/login");
          var expired = new ApiError(401, "not_signed_in", (data && data.message) || (TEXT.errors || {}).not_signed_in);
          expired.redirecting = true;
          throw expired;
        }
        if (!response.ok) {
          var message = data && data.message ? data.message : fmt(UI.http_failed, { status: response.status });
          var retryAfter = Number(response.headers.get("Retry-After"));
          if (response.status === 429 && retryAfter > 0) message += fmt(UI.retry_after, { minutes: Math.ceil(retryAfter / 60) });
          throw new ApiError(response.status, data && data.error, message);
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, "network", UI.network);
    });
  }

  /** `task` (which returns a promise), never two at once: a call while it runs makes it run once more after. */
  function serial(task) {
    var busy = false, again = false;
    function run() {
      if (busy) { again = true; return; }
      busy = true;
      Promise.resolve().then(task).catch(function () {}).then(function () {
        busy = false;
        if (again) { again = false; run(); }
      });
    }
    return run;
  }

  /** Runs `everything` now, then keeps the page current by push: the console's server-sent events
   * (GET /api/live) call `on[name](data)`; a reconnection or "resync" runs `everything` again (something
   * may have been missed). Nothing is polled: an idle page costs one idle connection. */
  function live(on, everything) {
    everything();
    if (!window.EventSource) return setInterval(everything, 5000);
    var source = new EventSource("/api/live");
    var connected = false;
    source.addEventListener("hello", function () {
      if (connected) everything();
      connected = true;
      document.body.dataset.live = "on";
    });
    source.addEventListener("resync", everything);
    source.addEventListener("signed_out", function () {
      source.close();
      window.location.href = "/login";
    });
    source.addEventListener("error", function () { document.body.dataset.live = "off"; });
    Object.keys(on).forEach(function (name) {
      source.addEventListener(name, function (event) {
        var data = {};
        try { data = JSON.parse(event.data || "{}"); } catch (e) { data = {}; }
        on[name](data);
      });
    });
    return source;
  }

  /** Disables `button` while `promise` runs. */
  function busyWhile(button, promise) {
    if (button) button.disabled = true;
    return promise.then(function (value) {
      if (button) button.disabled = false;
      return value;
    }, function (error) {
      if (button) button.disabled = false;
      throw error;
    });
  }

  function keepNoticeForNextPage(text, kind) {
    try { sessionStorage.setItem(PENDING_NOTICE_KEY, JSON.stringify({ text: text, kind: kind })); } catch (e) { /* private mode */ }
  }

  function showPendingNotice() {
    try {
      var raw = sessionStorage.getItem(PENDING_NOTICE_KEY);
      if (!raw) return;
      sessionStorage.removeItem(PENDING_NOTICE_KEY);
      var pending = JSON.parse(raw);
      showNotice(pending.text, pending.kind);
    } catch (e) { /* nothing to show */ }
  }

  // -------------------------------------------------------- header (all pages)

  function me() {
    var data = document.body.dataset;
    return { id: Number(data.agentId), username: data.agentUsername, role: data.agentRole };
  }

  function setupHeader() {
    var closeButton = $(".notice-close");
    if (closeButton) closeButton.addEventListener("click", hideNotice);

    var logout = $("#logout");
    if (logout) {
      logout.addEventListener("click", function () {
        busyWhile(logout, api("POST", "/api/logout", {})).then(function () {
          window.location.assign("/login");
        }, function (error) { showError(error); });
      });
    }
    var buttons = document.querySelectorAll(".presence-btn");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var status = button.dataset.status;
        if (button.getAttribute("aria-pressed") === "true") return;
        api("POST", "/api/presence", { status: status }).then(function (data) {
          var now = (data && data.agent && data.agent.presence) || status;
          Array.prototype.forEach.call(buttons, function (b) {
            b.setAttribute("aria-pressed", b.dataset.status === now ? "true" : "false");
          });
          document.body.dataset.agentPresence = now;
          showNotice(now === "online" ? UI.now_online : UI.now_away, "info");
        }, function (error) { showError(error); });
      });
    });
  }

  // -------------------------------------------------------------------- login

  function setupLogin() {
    var form = $("#login-form");
    var submit = $("#login-submit");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var username = $("#username").value.trim();
      var password = $("#password").value;
      if (!username || !password) {
        showNotice(UI.login_missing, "error");
        return;
      }
      busyWhile(submit, api("POST", "/api/login", { username: username, password: password })).then(function () {
        window.location.assign("/");
      }, function (error) {
        showError(error);
        $("#password").select();
      });
    });
  }

  // -------------------------------------------------------------------- queue

  /** Replaces the children of `container` keyed by data-number, reusing rows that did not change. */
  function reconcile(container, items, build, emptyNode) {
    var existing = {};
    Array.prototype.forEach.call(container.querySelectorAll("[data-number]"), function (node) {
      existing[node.dataset.number] = node;
    });
    var wanted = items.map(function (item) {
      var signature = JSON.stringify(item.sig);
      var node = existing[item.number];
      if (!node || node.dataset.sig !== signature) {
        node = build(item.data);
        node.dataset.number = item.number;
        node.dataset.sig = signature;
      }
      delete existing[item.number];
      return node;
    });
    if (!wanted.length) wanted = [emptyNode()];
    var current = Array.prototype.slice.call(container.children);
    var same = current.length === wanted.length && current.every(function (node, i) { return node === wanted[i]; });
    if (!same) {
      wanted.forEach(function (node, i) {
        if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
      });
      while (container.children.length > wanted.length) container.removeChild(container.lastChild);
    }
  }

  function setupQueue() {
    var waiting = $("#waiting");
    var mine = $("#mine");
    var open = $("#open");
    var waitBase = {}; // number → {seconds, at}

    function claimTicket(number, button) {
      busyWhile(button, api("POST", "/api/tickets/" + encodeURIComponent(number) + "/claim", {})).then(function (data) {
        if (data && data.delivered === false) keepNoticeForNextPage(NOT_DELIVERED, "warn");
        window.location.assign("/tickets/" + encodeURIComponent(number));
      }, function (error) {
        showError(error);
        refresh();
      });
    }

    function waitingRow(t) {
      var high = t.priority === "high";
      var senior = t.queue === "senior";
      return el("tr", { class: high ? "is-high" : null },
        el("td", { text: String(t.position) }),
        el("td", { class: "cell-number", title: t.number }, t.number),
        el("td", { title: t.category_label }, t.category_label),
        el("td", null, high ? el("span", { class: "badge badge-high" }, PRIORITY_LABELS.high) : el("span", { class: "muted" }, PRIORITY_LABELS.normal)),
        el("td", { title: t.channel }, channelLabel(t.channel)),
        el("td", null, senior ? el("span", { class: "badge badge-senior" }, QUEUE_LABELS.senior) : el("span", { class: "muted" }, QUEUE_LABELS.general)),
        el("td", { class: "cell-wait" }, formatWait(t.waiting_seconds)),
        el("td", { class: "cell-desc", title: t.description || "" }, t.description ? excerpt(t.description, 80) : el("span", { class: "muted" }, UI.no_description)),
        el("td", null, el("button", {
          type: "button", class: "btn btn-primary btn-small claim-btn",
          onclick: function (event) { claimTicket(t.number, event.currentTarget); },
        }, UI.claim))
      );
    }

    function listItem(t, timeLabel, linkText) {
      return el("li", { class: "ticket-item" },
        el("div", { class: "ticket-item-main" },
          el("div", { class: "ticket-item-line" },
            el("a", { class: "cell-number", href: "/tickets/" + encodeURIComponent(t.number) }, t.number),
            el("span", { class: "badge" }, t.category_label),
            t.priority === "high" ? el("span", { class: "badge badge-high" }, PRIORITY_LABELS.high) : null,
            el("span", { class: "muted small" }, timeLabel)
          ),
          t.description ? el("div", { class: "ticket-item-desc", title: t.description }, excerpt(t.description, 90)) : null
        ),
        el("a", { class: "btn btn-small", href: "/tickets/" + encodeURIComponent(t.number) }, linkText)
      );
    }

    function emptyRow(text) {
      return function () { return el("tr", { class: "empty-row" }, el("td", { colspan: "9" }, text)); };
    }
    function emptyItem(text) {
      return function () { return el("li", { class: "empty-item" }, text); };
    }

    function tickWaiting() {
      var now = Date.now();
      Array.prototype.forEach.call(waiting.querySelectorAll("tr[data-number]"), function (row) {
        var base = waitBase[row.dataset.number];
        var cell = $(".cell-wait", row);
        if (!base || !cell) return;
        var seconds = base.seconds + (now - base.at) / 1000;
        cell.textContent = formatWait(seconds);
        cell.classList.toggle("is-long", seconds >= 300);
      });
    }

    function render(data) {
      var now = Date.now();
      waitBase = {};
      (data.waiting || []).forEach(function (t) {
        if (typeof t.waiting_seconds === "number") waitBase[t.number] = { seconds: t.waiting_seconds, at: now };
      });
      reconcile(waiting, (data.waiting || []).map(function (t) {
        var sig = Object.assign({}, t);
        delete sig.waiting_seconds;
        delete sig.updated_at;
        return { number: t.number, data: t, sig: sig };
      }), waitingRow, emptyRow(UI.no_waiting));
      reconcile(mine, (data.mine || []).map(function (t) {
        return { number: t.number, data: t, sig: [t.category_label, t.priority, t.description] };
      }), function (t) { return listItem(t, channelLabel(t.channel), UI.open); }, emptyItem(UI.none_mine));
      reconcile(open, (data.open || []).map(function (t) {
        return { number: t.number, data: t, sig: [t.category_label, t.priority, t.description, t.created_at] };
      }), function (t) { return listItem(t, fmt(UI.created_at, { time: formatDateTime(t.created_at) }), UI.view); }, emptyItem(UI.no_open));
      $("#waiting-count").textContent = String((data.waiting || []).length);
      $("#mine-count").textContent = String((data.mine || []).length);
      $("#open-count").textContent = String((data.open || []).length);
      var d = new Date();
      $("#queue-updated").textContent = fmt(UI.updated_at, { time: pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) });
      tickWaiting();
    }

    function refresh() {
      return api("GET", "/api/queue").then(function (data) {
        render(data);
        clearNoticeFrom("queue");
      }, function (error) { showError(error, "queue"); });
    }

    var queueNow = serial(refresh);
    live({ queue: queueNow, ticket: queueNow }, queueNow);
    setInterval(tickWaiting, 1000);
  }

  // ------------------------------------------------------------------- ticket

  function setupTicket() {
    var number = document.body.dataset.number;
    var base = "/api/tickets/" + encodeURIComponent(number);
    var myself = me();
    var ticket = null;
    var lastSeq = -1;

    var transcriptBox = $("#transcript");
    var replyText = $("#reply-text");
    var sendButton = $("#send");
    var canned = $("#canned");
    var replyState = $("#reply-state");
    var sending = false;

    // ---- transcript
    function messageNode(line) {
      var role = line.role;
      var who;
      if (role === "user") who = UI.who_user;
      else if (role === "agent") who = fmt(UI.who_agent, { name: line.agent_name, number: line.agent_number });
      else if (role === "bot") who = UI.who_bot;
      if (role === "system") {
        return el("div", { class: "msg msg-system", dataset: { seq: String(line.seq) } },
          el("div", { class: "msg-body", title: formatClock(line.time) }, SYSTEM_LABELS[line.text] || line.text));
      }
      var chips = null;
      if (line.buttons && line.buttons.length) {
        chips = el("div", { class: "chips", "aria-label": UI.buttons });
        line.buttons.forEach(function (title) { chips.appendChild(el("span", { class: "chip" }, title || "")); });
      }
      // A user's message the assistant misread: flagged for the supervisors' review queue.
      var flag = role === "user" && line.text ? el("button", {
        type: "button", class: "msg-flag", title: UI.flag_title,
        onclick: function (event) { flagMessage(line.seq, event.currentTarget); }
      }, UI.flag) : null;
      return el("div", { class: "msg msg-" + role, dataset: { seq: String(line.seq) } },
        el("div", { class: "msg-meta" }, el("span", { class: "msg-who" }, who),
          el("span", { class: "msg-time" }, formatClock(line.time)), flag),
        line.text ? el("div", { class: "msg-body" }, line.text) : null,
        line.unreadable ? el("div", { class: "msg-body msg-unreadable" },
          fmt(UI.unreadable, { what: UNREADABLE_LABELS[line.unreadable] || UNREADABLE_LABELS.other })) : null,
        chips);
    }

    function flagMessage(seq, button) {
      busyWhile(button, api("POST", "/api/review/flag", { ticket: number, seq: seq })).then(function () {
        button.textContent = UI.flagged;
        button.disabled = true;
        button.classList.add("msg-flagged");
      }, function (error) { showError(error); });
    }

    function appendMessages(lines) {
      if (!lines.length) return;
      var first = lastSeq < 0;
      var nearBottom = transcriptBox.scrollHeight - transcriptBox.scrollTop - transcriptBox.clientHeight < 80;
      var empty = $("#transcript-empty");
      if (empty) empty.remove();
      lines.forEach(function (line) {
        if (line.seq <= lastSeq) return; // already shown (an overlapping poll)
        transcriptBox.appendChild(messageNode(line));
        lastSeq = line.seq;
      });
      if (first || nearBottom) transcriptBox.scrollTop = transcriptBox.scrollHeight;
    }

    function pollTranscript() {
      return api("GET", base + "/transcript?after=" + lastSeq).then(function (data) {
        var lines = (data && data.messages) || [];
        appendMessages(lines);
        var empty = $("#transcript-empty");
        if (empty && lastSeq < 0) empty.textContent = UI.no_messages;
        clearNoticeFrom("transcript");
      }, function (error) { showError(error, "transcript"); });
    }

    // ---- ticket panel
    function field(list, label, value) {
      var dd = el("dd");
      if (value === null || value === undefined || value === "") dd.appendChild(el("span", { class: "empty" }, "—"));
      else if (typeof value === "string") dd.textContent = value;
      else dd.appendChild(value);
      list.appendChild(el("dt", null, label));
      list.appendChild(dd);
    }

    function historyText(entry) {
      var who = entry.agent ? entry.agent + " " : "";
      switch (entry.kind) {
        case "created": return UI.history_created;
        case "status":
          return fmt(UI.history_status, { who: who, from: STATUS_LABELS[entry.from] || entry.from || "—", to: STATUS_LABELS[entry.to] || entry.to });
        case "assigned": return fmt(UI.history_assigned, { agent: entry.agent || entry.body });
        case "transferred": {
          var target = entry.body || "";
          if (target === "queue:senior") target = QUEUE_LABELS.senior;
          else if (target === "queue:general") target = QUEUE_LABELS.general;
          else if (target.indexOf("agent:") === 0) target = fmt(UI.history_to_agent, { agent: target.slice(6) });
          return fmt(UI.history_transferred, { who: who, target: target });
        }
        case "note": return fmt(UI.history_note, { who: who });
        case "rated": return fmt(UI.history_rated, { score: entry.body });
        case "undelivered": return UNDELIVERED_LABELS[entry.body] || fmt(UI.history_undelivered, { body: entry.body });
        default: return who + entry.kind;
      }
    }

    function canHandle(t) {
      return t.status === "assigned" && !!t.assigned_agent && (t.assigned_agent.id === myself.id || myself.role === "supervisor");
    }

    function renderTicket(t) {
      ticket = t;
      var status = $("#t-status");
      status.textContent = STATUS_LABELS[t.status] || t.status;
      status.className = "status status-" + t.status;
      document.title = fmt(UI.ticket_title, { number: t.number, status: STATUS_LABELS[t.status] || t.status });

      var list = $("#ticket-fields");
      list.textContent = "";
      field(list, UI.field_category, t.category_label);
      field(list, UI.field_priority, t.priority === "high" ? el("span", { class: "badge badge-high" }, PRIORITY_LABELS.high) : PRIORITY_LABELS.normal);
      field(list, UI.field_queue, t.queue === "senior" ? QUEUE_LABELS.senior : QUEUE_LABELS.general);
      field(list, UI.field_channel, channelLabel(t.channel));
      field(list, UI.field_phone, t.contact_phone);
      field(list, UI.field_email, t.contact_email);
      field(list, UI.field_txn_time, t.txn_time);
      field(list, UI.field_amount, t.amount ? "¥" + t.amount : null);
      field(list, UI.field_description, t.description);
      var steps = null;
      if (t.steps_tried && t.steps_tried.length) {
        steps = el("ul", { class: "steps" });
        t.steps_tried.forEach(function (s) { steps.appendChild(el("li", null, s.label)); });
      }
      field(list, UI.field_steps, steps || UI.no_steps);
      field(list, UI.field_reason, t.handoff_reason ? (REASON_LABELS[t.handoff_reason] || t.handoff_reason) : null);
      field(list, UI.field_agent, t.assigned_agent ? agentLabel(t.assigned_agent) : UI.unassigned);
      field(list, UI.field_created, formatDateTime(t.created_at));
      if (t.waiting_seconds !== null && t.status === "queued") field(list, UI.field_waiting, formatWait(t.waiting_seconds));
      if (t.claimed_at) field(list, UI.field_claimed, formatDateTime(t.claimed_at));
      if (t.resolved_at) field(list, UI.field_resolved, formatDateTime(t.resolved_at));
      if (t.rating) {
        var stars = "★★★★★".slice(0, t.rating.score) + "☆☆☆☆☆".slice(0, 5 - t.rating.score);
        field(list, UI.field_rating, el("span", null, el("span", { class: "rating-stars" }, stars), fmt(UI.score, { score: t.rating.score }) +
          (t.rating.comment ? fmt(UI.rating_comment, { comment: t.rating.comment }) : "")));
      }

      // actions
      var mineNow = canHandle(t);
      $("#claim").hidden = t.status !== "queued";
      $("#transfer-agent-row").hidden = !mineNow;
      $("#transfer-senior").hidden = !mineNow;
      $("#resolve").hidden = !(mineNow || t.status === "open");
      var hint = "";
      if (t.status === "assigned" && !mineNow) hint = fmt(UI.hint_other_agent, { agent: agentLabel(t.assigned_agent) });
      else if (t.status === "resolved") hint = UI.hint_resolved;
      else if (t.status === "cancelled") hint = UI.hint_cancelled;
      else if (t.status === "open") hint = UI.hint_open;
      $("#actions-hint").textContent = hint;

      // reply box
      var canReply = mineNow;
      replyText.disabled = !canReply;
      sendButton.disabled = !canReply || sending;
      canned.disabled = !canReply || canned.options.length <= 1;
      if (canReply) replyState.textContent = UI.reply_ready;
      else if (t.status === "assigned") replyState.textContent = UI.reply_not_handler;
      else replyState.textContent = fmt(UI.reply_closed, { status: STATUS_LABELS[t.status] || t.status });

      // notes
      var notes = $("#notes");
      notes.textContent = "";
      if (!t.notes || !t.notes.length) notes.appendChild(el("li", { class: "notes-empty" }, UI.no_notes));
      (t.notes || []).forEach(function (n) {
        notes.appendChild(el("li", { class: "note" },
          el("div", { class: "note-body" }, n.body),
          el("div", { class: "note-meta" }, (n.agent || "") + " · " + formatDateTime(n.time))));
      });

      var history = $("#history");
      history.textContent = "";
      (t.history || []).forEach(function (entry) {
        history.appendChild(el("li", null, formatDateTime(entry.time) + " " + historyText(entry)));
      });
      fillAgents();
    }

    function refreshTicket() {
      return api("GET", base).then(function (data) {
        renderTicket(data.ticket);
        clearNoticeFrom("ticket");
      }, function (error) { showError(error, "ticket"); });
    }

    // ---- agents for transfers
    var agents = [];
    function fillAgents() {
      var select = $("#transfer-agent");
      var chosen = select.value;
      var others = agents.filter(function (a) {
        return a.id !== myself.id && !(ticket && ticket.assigned_agent && ticket.assigned_agent.id === a.id);
      });
      var signature = JSON.stringify(others.map(function (a) { return [a.username, a.presence]; }));
      if (select.dataset.sig === signature) return;
      select.dataset.sig = signature;
      select.textContent = "";
      select.appendChild(el("option", { value: "" }, others.length ? UI.choose_agent : UI.no_other_agents));
      others.forEach(function (a) {
        select.appendChild(el("option", { value: a.username },
          agentLabel(a) + (a.presence === "online" ? UI.agent_online : UI.agent_away) + (a.senior ? UI.agent_senior : "")));
      });
      select.value = others.some(function (a) { return a.username === chosen; }) ? chosen : "";
    }

    function loadAgents() {
      return api("GET", "/api/agents").then(function (data) {
        agents = (data && data.agents) || [];
        fillAgents();
      }, function (error) { showError(error); });
    }

    function loadCanned() {
      return api("GET", "/api/canned").then(function (data) {
        (data && data.replies || []).forEach(function (reply, i) {
          canned.appendChild(el("option", { value: String(i), title: reply.text, dataset: { text: reply.text } }, reply.title));
        });
        canned.disabled = !(ticket && canHandle(ticket)) || canned.options.length <= 1;
      }, function (error) { showError(error); });
    }

    function insertIntoReply(text) {
      var start = replyText.selectionStart;
      var end = replyText.selectionEnd;
      var value = replyText.value;
      if (!value || typeof start !== "number") {
        replyText.value = value ? value + text : text;
      } else {
        replyText.value = value.slice(0, start) + text + value.slice(end);
        replyText.selectionStart = replyText.selectionEnd = start + text.length;
      }
      replyText.focus();
    }

    // ---- actions
    function send() {
      if (sending || replyText.disabled) return;
      var text = replyText.value.trim();
      if (!text) {
        showNotice(UI.empty_message, "error");
        return;
      }
      sending = true;
      sendButton.disabled = true;
      api("POST", base + "/reply", { text: text }).then(function () {
        replyText.value = "";
        pollTranscript();
      }, function (error) {
        showError(error);
        if (error.code === "invalid_change" || error.code === "not_allowed") refreshTicket();
      }).then(function () {
        sending = false;
        sendButton.disabled = replyText.disabled;
      });
    }

    function afterAction(data) {
      if (data && data.ticket) renderTicket(data.ticket);
      reportDelivery(data);
      pollTranscript();
    }

    // While the agent writes, the user sees "客服正在输入…" (the widget shows it for a few seconds per signal).
    var typingSentAt = 0;
    replyText.addEventListener("input", function () {
      var now = Date.now();
      if (!replyText.value.trim() || now - typingSentAt < 3000) return;
      typingSentAt = now;
      api("POST", base + "/typing", { typing: true }).catch(function () {});
    });

    sendButton.addEventListener("click", send);
    replyText.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        send();
      }
    });
    canned.addEventListener("change", function () {
      var option = canned.options[canned.selectedIndex];
      if (option && option.dataset.text) insertIntoReply(option.dataset.text);
      canned.value = "";
    });

    $("#claim").addEventListener("click", function (event) {
      busyWhile(event.currentTarget, api("POST", base + "/claim", {})).then(afterAction, function (error) {
        showError(error);
        refreshTicket();
      });
    });
    $("#transfer").addEventListener("click", function (event) {
      var select = $("#transfer-agent");
      var username = select.value;
      if (!username) {
        showNotice(UI.choose_transfer_target, "error");
        return;
      }
      var label = select.options[select.selectedIndex].textContent;
      if (!window.confirm(fmt(UI.confirm_transfer, { agent: label }))) return;
      busyWhile(event.currentTarget, api("POST", base + "/transfer", { agent: username })).then(function (data) {
        afterAction(data);
        if (!data || data.delivered !== false) showNotice(fmt(UI.transferred, { agent: label }), "info");
      }, function (error) { showError(error); refreshTicket(); });
    });
    $("#transfer-senior").addEventListener("click", function (event) {
      if (!window.confirm(UI.confirm_senior)) return;
      busyWhile(event.currentTarget, api("POST", base + "/transfer", { queue: "senior" })).then(function (data) {
        afterAction(data);
        if (!data || data.delivered !== false) showNotice(UI.transferred_senior, "info");
      }, function (error) { showError(error); refreshTicket(); });
    });
    $("#resolve").addEventListener("click", function (event) {
      if (!window.confirm(UI.confirm_resolve)) return;
      busyWhile(event.currentTarget, api("POST", base + "/resolve", {})).then(afterAction, function (error) {
        showError(error);
        refreshTicket();
      });
    });
    $("#add-note").addEventListener("click", function (event) {
      var noteText = $("#note-text");
      var body = noteText.value.trim();
      if (!body) {
        showNotice(UI.empty_note, "error");
        return;
      }
      busyWhile(event.currentTarget, api("POST", base + "/notes", { body: body })).then(function (data) {
        noteText.value = "";
        if (data && data.ticket) renderTicket(data.ticket);
      }, function (error) { showError(error); });
    });

    showPendingNotice();
    var ticketNow = serial(refreshTicket), transcriptNow = serial(pollTranscript), agentsNow = serial(loadAgents);
    live({
      ticket: function (data) {
        if (data.number !== number) return;
        ticketNow();
        transcriptNow();
      },
      agents: agentsNow
    }, function () { ticketNow(); transcriptNow(); agentsNow(); });
    loadCanned();
  }

  // --------------------------------------------------------------------- start

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.dataset.page;
    setupHeader();
    if (page === "login") setupLogin();
    else if (page === "queue") setupQueue();
    else if (page === "ticket") setupTicket();
  });
})();
