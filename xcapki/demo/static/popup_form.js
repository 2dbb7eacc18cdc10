// The popupForm exchange with a HiPKI-compatible local signing service, shared by the pages
// that sign through it: open <service>/popupForm, answer its getTbs with the page's
// MakeSignature package, and take the sign answer by postMessage from the service's origin
// and that popup only. The page says what to fetch first, what to sign and what to do with
// the answer; this keeps the button, the PIN field, the message line and the timers.
var xcapkiPopupForm = (function () {
  "use strict";

  // page: {form, pinField, button, message: elements; connectMillis: how long the service
  // may take to answer at all; answerMillis: after getTbs, how long the card may take (0:
  // no new timer); texts: {blocked, connecting, unreachable, silent, prepareFailed, signing};
  // prepare(): a promise of what the package needs (rejects with a message for the user);
  // packageFor(prepared, pin): the MakeSignature package as JSON text;
  // signed(answer, prepared, session): the sign answer; session has show and finish;
  // started(): called when an attempt begins (optional)}.
  return function attach(page) {
    var serviceUrl = page.form.getAttribute("data-service-url");
    var serviceOrigin = new URL(serviceUrl).origin;
    var attempt = null;
    var session = {show: show, finish: finish};

    function show(text, kind) {
      page.message.textContent = text;
      page.message.className = "message " + kind;
    }

    function finish(text, kind) {
      if (attempt) {
        clearTimeout(attempt.timer);
        if (!attempt.popup.closed) { attempt.popup.close(); }
      }
      attempt = null;
      page.button.disabled = false;
      page.pinField.value = "";
      if (text) { show(text, kind || "error"); }
    }

    function answerTbs(current) {
      if (page.answerMillis) {
        clearTimeout(current.timer);
        current.timer = setTimeout(function () { finish(page.texts.silent); }, page.answerMillis);
      }
      current.prepared.then(function (prepared) {
        if (attempt !== current) { return; }
        current.value = prepared;
        current.popup.postMessage(page.packageFor(prepared, current.pin), serviceOrigin);
        current.pin = null;
        show(page.texts.signing, "info");
      }).catch(function (error) {
        if (attempt !== current) { return; }
        finish((error && error.userText) || page.texts.prepareFailed);
      });
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== serviceOrigin || !attempt || event.source !== attempt.popup) { return; }
      var answer;
      try { answer = typeof event.data === "string" ? JSON.parse(event.data) : event.data; }
      catch { return; }
      if (!answer || typeof answer.func !== "string") { return; }
      if (answer.func === "getTbs") {
        answerTbs(attempt);
      } else if (answer.func === "sign") {
        page.signed(answer, attempt.value, session);
      }
    });

    page.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (attempt) { return; }
      var popup = window.open(serviceUrl + "/popupForm", "xcapki-popup-form",
                              "width=480,height=260");
      if (!popup) {
        show(page.texts.blocked, "error");
        return;
      }
      attempt = {popup: popup, pin: page.pinField.value, prepared: page.prepare(), value: null,
                 timer: setTimeout(function () {
                   finish(page.texts.unreachable.replace("{service}", serviceUrl));
                 }, page.connectMillis)};
      attempt.prepared.catch(function () { return null; });
      if (page.started) { page.started(); }
      page.button.disabled = true;
      show(page.texts.connecting, "info");
    });

    return session;
  };
})();

