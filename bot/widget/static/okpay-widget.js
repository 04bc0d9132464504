/*!
 * OKPay 在线客服 widget — plain script, no framework, no build step.
 *
 * Needs socket.io's client (window.io, v4) loaded first. Usage:
 *
 *   var widget = OKPayWidget.mount({
 *     server: "https://chat.okpay.example",  // Rasa's server (socket.io at /socket.io)
 *     token: "<the host app's JWT>",          // "" or omitted: an anonymous visitor
 *     title: "OKPay 智能客服",                 // header text (optional)
 *     open: false,                            // open the panel at once (optional)
 *     container: element,                     // optional: render inline in this element
 *                                             // (always open, no launcher), else floating
 *     queuePollMs: 10000                      // optional: queue status poll while waiting
 *   });
 *   widget.open(); widget.close(); widget.destroy();
 *
 * Every message text is rendered with textContent, never as HTML.
 */
(function (window, document) {
  "use strict";

  var SOCKET_PATH = "/socket.io";
  var ANON_KEY = "okpay-widget:anon";
  var MAX_CHARS = 2000;
  var DEFAULT_POLL_MS = 10000;
  var MIN_POLL_MS = 200;
  var ACK_TIMEOUT_MS = 8000;
  var STICK_PX = 48;

  // The widget's words (bot/texts/widget.yml), put here by the console when it serves this file.
  var TEXT = /*OKPAY_WIDGET_TEXTS*/{};

  /** `template` with each {name} replaced by values[name]. */
  function fmt(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
    });
  }

  var instances = 0;

  // ------------------------------------------------------------------ helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function attrs(node, values) {
    for (var name in values) {
      if (Object.prototype.hasOwnProperty.call(values, name)) node.setAttribute(name, values[name]);
    }
    return node;
  }

  function str(value) {
    return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  }

  function readAnonTokens() {
    try {
      var parsed = JSON.parse(window.localStorage.getItem(ANON_KEY) || "{}");
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (error) {
      return {};
    }
  }

  function writeAnonToken(server, token) {
    try {
      var tokens = readAnonTokens();
      if (token) tokens[server] = token; else delete tokens[server];
      window.localStorage.setItem(ANON_KEY, JSON.stringify(tokens));
    } catch (error) {
      // Storage off (private mode, quota): the visitor gets a new conversation after a reload.
    }
  }

  function clock(seconds) {
    var date = typeof seconds === "number" ? new Date(seconds * 1000) : new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function agentLabel(agent) {
    var label = TEXT.agent + " " + str(agent.name);
    if (agent.number) label += " · " + TEXT.agentNumber + " " + str(agent.number);
    return label;
  }

  function safeImageUrl(url) {
    return typeof url === "string" && /^(https?:)?\/\//i.test(url) ? url : "";
  }

  // ------------------------------------------------------------------ widget

  function Widget(options) {
    this.id = "okw-" + (++instances);
    this.server = str(options.server) || window.location.origin;
    this.hostToken = str(options.token);
    this.title = str(options.title) || TEXT.title;
    this.inline = !!options.container;
    var poll = Number(options.queuePollMs);
    this.pollMs = poll >= MIN_POLL_MS ? poll : DEFAULT_POLL_MS;
    this.socket = null;
    this.usedAnonToken = false;
    this.ready = false;       // connected and history received: sending is allowed
    this.stopped = false;     // refused for good (the host's token is invalid)
    this.isOpen = false;
    this.unread = 0;
    this.stick = true;
    this.pollTimer = null;
    this.historyLoads = 0;
    this.build(options.container || document.body);
    if (this.inline || options.open) this.open(); else this.setState("idle");
    this.connect();
  }

  Widget.prototype.build = function (parent) {
    var self = this;
    var root = attrs(el("div", "okw-root" + (this.inline ? " okw-inline" : "")), {
      lang: "zh-CN", "data-testid": "okw-root", "data-state": "idle", "data-history-loads": "0"
    });

    var launcher = attrs(el("button", "okw-launcher"), {
      type: "button", "aria-label": TEXT.openLabel, "aria-expanded": "false", "aria-controls": this.id + "-panel",
      "data-testid": "okw-launcher"
    });
    var icon = attrs(el("span", "okw-launcher-icon"), { "aria-hidden": "true" });
    launcher.appendChild(icon);
    launcher.appendChild(el("span", "okw-launcher-text", TEXT.launcher));
    var badge = attrs(el("span", "okw-badge"), { "aria-hidden": "true", "data-testid": "okw-badge" });
    badge.hidden = true;
    launcher.appendChild(badge);
    launcher.addEventListener("click", function () { if (self.isOpen) self.close(); else self.open(); });

    var panel = attrs(el("section", "okw-panel"), {
      id: this.id + "-panel", role: "dialog", "aria-labelledby": this.id + "-title", "data-testid": "okw-panel"
    });
    panel.hidden = true;

    var header = el("header", "okw-header");
    var avatar = attrs(el("span", "okw-avatar", "OK"), { "aria-hidden": "true" });
    var heading = el("div", "okw-heading");
    var title = attrs(el("h2", "okw-title", this.title), { id: this.id + "-title" });
    var conn = attrs(el("p", "okw-conn"), { role: "status", "data-testid": "okw-conn" });
    heading.appendChild(title);
    heading.appendChild(conn);
    var closeButton = attrs(el("button", "okw-close"), {
      type: "button", "aria-label": TEXT.closeLabel, title: TEXT.closeLabel, "data-testid": "okw-close"
    });
    closeButton.appendChild(attrs(el("span", "okw-close-icon", "×"), { "aria-hidden": "true" }));
    closeButton.addEventListener("click", function () { self.close(); });
    header.appendChild(avatar);
    header.appendChild(heading);
    if (!this.inline) header.appendChild(closeButton);

    var banner = attrs(el("div", "okw-queue"), { role: "status", "data-testid": "okw-queue" });
    banner.hidden = true;
    var notice = attrs(el("div", "okw-notice"), { role: "alert", "data-testid": "okw-notice" });
    notice.hidden = true;

    var log = attrs(el("div", "okw-log"), {
      role: "log", "aria-live": "polite", "aria-label": TEXT.logLabel, tabindex: "0", "data-testid": "okw-log"
    });
    log.addEventListener("scroll", function () {
      self.stick = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_PX;
    });
    if (typeof window.ResizeObserver === "function") {
      // The list shrinks when the phone's keyboard opens, the input grows or the typing dots show:
      // keep the newest message in view unless the user scrolled up.
      new window.ResizeObserver(function () { if (self.stick) self.scrollToEnd(); }).observe(log);
    }

    var typing = attrs(el("div", "okw-typing"), { "aria-live": "polite", "data-testid": "okw-typing" });
    var dots = attrs(el("span", "okw-dots"), { "aria-hidden": "true" });
    dots.appendChild(el("span", "okw-dot"));
    dots.appendChild(el("span", "okw-dot"));
    dots.appendChild(el("span", "okw-dot"));
    var typingText = el("span", "okw-sr");
    typing.appendChild(dots);
    typing.appendChild(typingText);
    typing.hidden = true;

    var form = attrs(el("form", "okw-composer"), { "data-testid": "okw-composer" });
    var input = attrs(el("textarea", "okw-input"), {
      rows: "1", maxlength: String(MAX_CHARS), "aria-label": TEXT.inputLabel, placeholder: TEXT.placeholder,
      enterkeyhint: "send", "data-testid": "okw-input"
    });
    var send = attrs(el("button", "okw-send", TEXT.send), {
      type: "submit", "aria-label": TEXT.send, "data-testid": "okw-send"
    });
    send.disabled = true;
    form.appendChild(input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendTyped();
    });
    input.addEventListener("keydown", function (event) {
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME candidate (拼音) is not a send.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        self.sendTyped();
      }
    });
    input.addEventListener("input", function () {
      self.refreshComposer();
      self.resizeInput();
    });

    panel.appendChild(header);
    panel.appendChild(banner);
    panel.appendChild(notice);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);
    panel.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && !self.inline) {
        event.preventDefault();
        self.close();
      }
    });

    if (!this.inline) root.appendChild(launcher);
    root.appendChild(panel);
    parent.appendChild(root);

    this.el = {
      root: root, launcher: launcher, badge: badge, panel: panel, conn: conn, banner: banner, notice: notice,
      log: log, typing: typing, typingText: typingText, input: input, send: send
    };
    this.renderMessages([]);
  };

  // ------------------------------------------------------------------ open / close

  Widget.prototype.open = function () {
    this.isOpen = true;
    this.el.panel.hidden = false;
    this.el.root.classList.add("okw-open");
    this.el.launcher.setAttribute("aria-expanded", "true");
    this.setUnread(0);
    this.resizeInput();
    this.scrollToEnd();
    var target = this.el.input.disabled ? this.el.panel.querySelector(".okw-close") || this.el.log : this.el.input;
    try { target.focus({ preventScroll: true }); } catch (error) { target.focus(); }
  };

  Widget.prototype.close = function () {
    if (this.inline) return;
    this.isOpen = false;
    this.el.panel.hidden = true;
    this.el.root.classList.remove("okw-open");
    this.el.launcher.setAttribute("aria-expanded", "false");
    this.el.launcher.focus();
  };

  Widget.prototype.setUnread = function (count) {
    this.unread = count;
    this.el.badge.hidden = count === 0;
    this.el.badge.textContent = count > 99 ? "99+" : String(count);
    this.el.launcher.setAttribute("aria-label", count ? TEXT.openLabel + "（" + count + " " + TEXT.unread + "）"
      : TEXT.openLabel);
  };

  Widget.prototype.destroy = function () {
    this.stopPolling();
    if (this.socket) {
      this.socket.off();
      this.socket.disconnect();
    }
    if (this.el.root.parentNode) this.el.root.parentNode.removeChild(this.el.root);
  };

  // ------------------------------------------------------------------ connection

  Widget.prototype.setState = function (state) {
    this.el.root.setAttribute("data-state", state);
    var line = state === "connecting" ? TEXT.connecting : state === "reconnecting" ? TEXT.reconnecting : "";
    this.el.conn.textContent = line;
    this.el.conn.className = "okw-conn" + (line ? " okw-conn-busy" : "");
    this.refreshComposer();
  };

  Widget.prototype.authFor = function () {
    if (this.hostToken) {
      this.usedAnonToken = false;
      return { token: this.hostToken };
    }
    var stored = readAnonTokens()[this.server];
    this.usedAnonToken = typeof stored === "string" && stored !== "";
    return this.usedAnonToken ? { token: stored } : {};
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (typeof window.io !== "function") {
      this.stop(TEXT.noSocketIo);
      return;
    }
    this.setState("connecting");
    var socket = window.io(this.server, {
      path: SOCKET_PATH,
      transports: ["websocket", "polling"],
      tryAllTransports: true, // where a proxy blocks websockets, fall back to long-polling
      reconnectionDelay: 500, // a phone's dropped connection: first retry soon, then back off (to 5 s)
      reconnectionDelayMax: 5000,
      // A function: asked again at every (re)connection, so a reconnect uses the anonymous token issued meanwhile.
      auth: function (callback) { callback(self.authFor()); }
    });
    this.socket = socket;

    socket.on("connect", function () {
      self.setState("connected");
      socket.emit("session_request", {});
      self.askQueue();
    });
    socket.on("connect_error", function (error) {
      if (error && error.message === "invalid_token") {
        if (self.usedAnonToken) {
          // Our anonymous token expired or the secret changed: start a new anonymous conversation.
          writeAnonToken(self.server, "");
          socket.connect();
          return;
        }
        self.stop(TEXT.tokenInvalid);
        return;
      }
      // Network trouble: socket.io keeps trying by itself.
      self.ready = false;
      self.setState(self.historyLoads ? "reconnecting" : "connecting");
    });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      self.showTyping(false);
      self.stopPolling();
      if (self.stopped) return;
      self.setState("reconnecting");
      if (reason === "io server disconnect") socket.connect(); // the server hung up: socket.io won't retry itself
    });
    socket.on("session_confirm", function (data) {
      if (data && data.anonymous && data.anonymous_token && !self.hostToken) {
        writeAnonToken(self.server, str(data.anonymous_token));
      }
    });
    socket.on("history", function (data) {
      var messages = data && Array.isArray(data.messages) ? data.messages : [];
      self.historyLoads += 1;
      self.el.root.setAttribute("data-history-loads", String(self.historyLoads));
      self.renderMessages(messages);
      self.ready = true;
      self.refreshComposer();
    });
    socket.on("bot_uttered", function (data) {
      if (!data || typeof data !== "object") return;
      var agent = data.agent && data.agent.name ? data.agent : null;
      if (agent) {
        clearTimeout(self.agentTypingTimer);
        self.showTyping(false);
      }
      var hasReplies = Array.isArray(data.quick_replies) && data.quick_replies.length > 0;
      if (!data.text && !safeImageUrl(data.image) && !hasReplies) { // e.g. custom JSON only: nothing to show
        self.askQueue();
        return;
      }
      self.append({
        role: agent ? "agent" : "bot", text: data.text, quick_replies: data.quick_replies, agent: agent,
        image: data.image
      }, true);
      if (!self.isOpen) self.setUnread(self.unread + 1);
      self.askQueue();
    });
    socket.on("bot_typing", function (data) {
      self.showTyping(!!(data && data.typing));
    });
    // An agent writing in the console: shown for a few seconds per signal (the console repeats it while
    // the agent writes), and until their message arrives.
    socket.on("agent_typing", function (data) {
      clearTimeout(self.agentTypingTimer);
      self.showTyping(!!(data && data.typing));
      if (data && data.typing) self.agentTypingTimer = setTimeout(function () { self.showTyping(false); }, 6000);
    });
    socket.on("user_echo", function (data) {
      if (data && data.text) self.append({ role: "user", text: data.text }, false);
    });
  };

  Widget.prototype.stop = function (message) {
    this.stopped = true;
    this.ready = false;
    this.stopPolling();
    this.showTyping(false);
    if (this.socket) {
      this.socket.off();
      this.socket.disconnect();
    }
    this.el.notice.textContent = message;
    this.el.notice.hidden = false;
    this.setState("stopped");
  };

  // ------------------------------------------------------------------ messages

  Widget.prototype.renderMessages = function (messages) {
    var log = this.el.log;
    while (log.firstChild) log.removeChild(log.firstChild);
    log.appendChild(this.messageNode({ role: "bot", text: TEXT.welcome, welcome: true }, false));
    for (var i = 0; i < messages.length; i++) {
      var message = messages[i] || {};
      var live = i === messages.length - 1; // only the last, unanswered message keeps its buttons
      log.appendChild(this.messageNode(message, live));
    }
    this.stick = true;
    this.scrollToEnd();
  };

  Widget.prototype.append = function (message, withReplies) {
    this.dropReplies(); // as in the history: only the newest message, if unanswered, keeps its buttons
    var stick = this.stick;
    this.el.log.appendChild(this.messageNode(message, withReplies));
    if (stick || message.role === "user") {
      this.stick = true;
      this.scrollToEnd();
    }
  };

  Widget.prototype.messageNode = function (message, withReplies) {
    var self = this;
    var role = message.role === "user" ? "user" : message.role === "agent" && message.agent ? "agent" : "bot";
    var item = attrs(el("div", "okw-msg okw-msg-" + role + (message.welcome ? " okw-msg-welcome" : "")), {
      "data-role": role
    });
    if (role === "agent") {
      item.appendChild(attrs(el("div", "okw-agent", agentLabel(message.agent)), { "data-testid": "okw-agent" }));
    }
    var text = str(message.text);
    var image = safeImageUrl(message.image);
    if (text || image) {
      var bubble = el("div", "okw-bubble");
      if (text) bubble.appendChild(el("span", "okw-text", text));
      if (image) {
        var img = attrs(el("img", "okw-image"), { alt: "", loading: "lazy", referrerpolicy: "no-referrer" });
        img.src = image;
        bubble.appendChild(img);
      }
      item.appendChild(bubble);
    }
    if (!message.welcome) {
      item.appendChild(attrs(el("div", "okw-time", clock(message.time)), { "aria-hidden": "true" }));
    }
    var replies = Array.isArray(message.quick_replies) ? message.quick_replies : [];
    if (withReplies && replies.length) {
      var group = attrs(el("div", "okw-replies"), { role: "group", "aria-label": TEXT.quickReplies });
      replies.forEach(function (reply) {
        if (!reply || !reply.title) return;
        var button = attrs(el("button", "okw-reply", str(reply.title)), { type: "button" });
        button.addEventListener("click", function () {
          self.sendReply(str(reply.title), str(reply.payload || reply.title));
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  };

  Widget.prototype.dropReplies = function () {
    var groups = this.el.log.querySelectorAll(".okw-replies");
    for (var i = 0; i < groups.length; i++) groups[i].parentNode.removeChild(groups[i]);
  };

  Widget.prototype.scrollToEnd = function () {
    var log = this.el.log;
    log.scrollTop = log.scrollHeight;
  };

  Widget.prototype.showTyping = function (on) {
    this.el.typing.hidden = !on;
    this.el.typingText.textContent = on ? TEXT.typing : "";
    if (on && this.stick) this.scrollToEnd();
  };

  // ------------------------------------------------------------------ sending

  Widget.prototype.refreshComposer = function () {
    var input = this.el.input;
    input.disabled = this.stopped;
    this.el.send.disabled = this.stopped || !this.ready || input.value.trim() === "";
  };

  /** The input grows with its text, up to its CSS max-height. */
  Widget.prototype.resizeInput = function () {
    var input = this.el.input;
    input.style.height = "";
    if (input.value && !this.el.panel.hidden) {
      input.style.height = input.scrollHeight + (input.offsetHeight - input.clientHeight) + "px";
    }
  };

  Widget.prototype.emitUserMessage = function (message, display) {
    if (!this.ready || this.stopped || !this.socket) return false;
    var payload = { message: message };
    if (display !== undefined) payload.display = display;
    this.socket.emit("user_uttered", payload);
    this.append({ role: "user", text: display === undefined ? message : display }, false);
    return true;
  };

  Widget.prototype.sendTyped = function () {
    var input = this.el.input;
    var text = input.value.slice(0, MAX_CHARS);
    if (text.trim() === "") return;
    if (this.emitUserMessage(text)) {
      input.value = "";
      this.refreshComposer();
      this.resizeInput();
      input.focus();
    }
  };

  Widget.prototype.sendReply = function (title, payload) {
    if (this.emitUserMessage(payload, title)) this.el.input.focus();
  };

  // ------------------------------------------------------------------ queue

  Widget.prototype.stopPolling = function () {
    if (this.pollTimer !== null) {
      window.clearTimeout(this.pollTimer);
      this.pollTimer = null;
    }
  };

  Widget.prototype.askQueue = function () {
    var self = this;
    var socket = this.socket;
    this.stopPolling();
    if (!socket || !socket.connected || this.stopped) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("queue_status", {}, function (error, status) {
      if (socket !== self.socket || self.stopped) return;
      var waiting = self.showQueue(error ? { status: "unknown" } : status);
      if (waiting && socket.connected) {
        self.stopPolling();
        self.pollTimer = window.setTimeout(function () { self.askQueue(); }, self.pollMs);
      }
    });
  };

  /** Shows the queue banner; true while the user waits for or talks with an agent. */
  Widget.prototype.showQueue = function (status) {
    var banner = this.el.banner;
    var kind = status && status.status;
    if (kind === "queued") {
      var parts = [TEXT.queueTransferring];
      var position = Number(status.position);
      if (position > 0) parts.push(fmt(TEXT.queuePosition, { position: position }));
      var minutes = Number(status.wait_minutes);
      parts.push(minutes > 0 ? fmt(TEXT.queueWait, { minutes: minutes }) : TEXT.queueSoon);
      var text = parts.join(" · ");
      if (status.ticket) text += fmt(TEXT.queueTicket, { ticket: str(status.ticket) });
      this.setBanner("queued", text);
      return true;
    }
    if (kind === "assigned") {
      var agent = status.agent || {};
      var who = fmt(agent.number ? TEXT.agentWithNumber : TEXT.agentWithoutNumber,
                    { agent: TEXT.agent, agentNumber: TEXT.agentNumber, name: str(agent.name), number: str(agent.number) });
      this.setBanner("assigned", fmt(TEXT.agentServing, { who: who }));
      return true;
    }
    if (kind === "unknown") {
      return !banner.hidden; // the ticket store is down: keep what we showed, ask again later
    }
    this.setBanner(null, "");
    return false;
  };

  Widget.prototype.setBanner = function (kind, text) {
    var banner = this.el.banner;
    banner.hidden = !kind;
    banner.className = "okw-queue" + (kind ? " okw-queue-" + kind : "");
    banner.setAttribute("data-status", kind || "");
    banner.textContent = text;
  };

  // ------------------------------------------------------------------ public API

  window.OKPayWidget = {
    version: "1.0.0",
    /** Mounts a widget; returns {open(), close(), destroy(), socket}. */
    mount: function (options) {
      var widget = new Widget(options || {});
      return {
        open: function () { widget.open(); },
        close: function () { widget.close(); },
        destroy: function () { widget.destroy(); },
        get socket() { return widget.socket; }
      };
    }
  };
})(window, document);
