"""``/popupForm``: the page a HiPKI site opens to talk to the service by postMessage.

The popup asks its opener for the request (``{"func":"getTbs"}``), sends it
to the service with the opener's origin as the browser reported it (a page
cannot forge ``event.origin``), posts the answer back to exactly that origin
and closes. Its only script is pinned by hash in the Content-Security-Policy,
and it refuses to be framed.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["POPUP_HEADERS", "POPUP_HTML"]

_SCRIPT = """
(function () {
  "use strict";
  var endpoints = {
    MakeSignature: ["/sign", "sign"],
    GetUserCert: ["/pkcs11info?withcert=true", "pkcs11info"],
    CheckEnvir: ["/pkcs11info", "pkcs11info"],
    DecryptData: ["/decrypt", "decrypt"]
  };
  var status = document.getElementById("status");
  var opener = window.opener;
  var handled = false;
  if (!opener) {
    status.textContent = "This page is opened by a web site that uses your card.";
    return;
  }
  window.addEventListener("message", function (event) {
    if (handled || event.source !== opener) { return; }
    var request;
    try {
      request = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
    } catch (error) { return; }
    if (!request || !Object.prototype.hasOwnProperty.call(endpoints, request.func)) { return; }
    handled = true;
    var target = endpoints[request.func];
    var origin = event.origin;
    var form = new URLSearchParams();
    form.set("tbsPackage", JSON.stringify(request));
    form.set("pageOrigin", origin);
    status.textContent = "Working with your card for " + origin + " ...";
    fetch(target[0], {method: "POST", body: form, credentials: "omit", cache: "no-store"})
      .then(function (response) { return response.text(); })
      .catch(function () {
        return JSON.stringify({func: target[1], ret_code: 0x7A000005, last_error: 0,
                               message: "the local signing service did not answer"});
      })
      .then(function (text) {
        try { opener.postMessage(text, origin); } finally { window.close(); }
      });
  });
  opener.postMessage(JSON.stringify({func: "getTbs"}), "*");
})();
"""

POPUP_HTML = f"""<!doctype html>
<html lang="zh-Hant">
<head><meta charset="utf-8"><title>xcapki local signing service</title></head>
<body>
<p id="status">xcapki local signing service</p>
<script>{_SCRIPT}</script>
</body>
</html>
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

POPUP_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self';"
        " frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
