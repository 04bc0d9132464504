/* The console pages' words (bot/texts/console.yml), given by the server as JSON in <meta name="okpay-texts">,
 * and `fmt` to fill in their {name} marks. Loaded before every page's own script (templates/base.html). */
(function (window, document) {
  "use strict";

  function read() {
    var meta = document.querySelector('meta[name="okpay-texts"]');
    try { return JSON.parse(meta ? meta.getAttribute("content") : "{}"); } catch (e) { return {}; }
  }

  /** `template` with each {name} replaced by values[name]. */
  function fmt(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
    });
  }

  window.OKPayTexts = { read: read, fmt: fmt };
})(window, document);
