// The bridge in every page: relays Web eID requests (window messages whose action starts
// with "web-eid:") and SmartPKI requests (smartpkiReq, from the page-world API) to the
// background worker, and posts the answers back. Only messages from this very window count.
(function () {
  "use strict";
  const WEB_EID = "web-eid:";
  const ANSWER = /-(ack|success|failure)$/;
  let smartpki = null;

  function webEid(request, target) {
    if (ANSWER.test(request.action) || request.action === "web-eid:warning") {
      return;
    }
    window.postMessage({action: request.action + "-ack"}, target);
    if (!window.isSecureContext) {
      window.postMessage({
        action: request.action + "-failure",
        error: {code: "ERR_WEBEID_CONTEXT_INSECURE", message: "the page is not a secure context"}
      }, target);
      return;
    }
    chrome.runtime.sendMessage({webeid: request}).then(
      (answer) => window.postMessage(answer, target),
      (error) => window.postMessage({
        action: request.action + "-failure",
        error: {code: "ERR_WEBEID_EXTENSION_UNAVAILABLE", message: String(error)}
      }, target)
    );
  }

  function smartPki(request) {
    if (smartpki === null) {
      smartpki = chrome.runtime.connect({name: "smartpki"});
      smartpki.onMessage.addListener((answer) => window.postMessage(answer, location.origin));
      smartpki.onDisconnect.addListener(() => {
        smartpki = null;
        window.postMessage({smartpkiRes: "disconnect"}, location.origin);
      });
    }
    smartpki.postMessage(request);
  }

  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.source !== window || !data || typeof data !== "object") {
      return;
    }
    if (typeof data.action === "string" && data.action.startsWith(WEB_EID)) {
      webEid(data, event.origin);
    } else if (typeof data.smartpkiReq === "string") {
      smartPki(data);
    }
  });
})();
