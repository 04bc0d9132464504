/* The demo page's own script: mounts the widget with the server and user token the page was rendered with
 * (data-server, data-token on <body>). A file, not inline: the page's Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var page = document.body.dataset;
  var params = new URLSearchParams(window.location.search);
  var options = { server: page.server, token: page.token || "", open: params.get("open") === "1" };
  // Demo only: ?poll_ms=500 asks for the queue status more often than every 10 s.
  var poll = Number(params.get("poll_ms"));
  if (poll > 0) options.queuePollMs = poll;
  window.okpayWidget = OKPayWidget.mount(options);
})();
