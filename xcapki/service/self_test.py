"""``/selfTest.htm``: the browser self-test (使用環境建議與檢測, 驗簽測試) portals link to.

Numbered steps, each marked pass or fail with the remedy ``xcapki doctor``
gives for the same finding: the service and its version, the browser, this
page's trust, the readers, the reader and card chosen, the PIN, a signature,
its verification in the browser (WebCrypto, against the card's certificate)
and the certificate's details. The page is the service's own origin and
gets no favours: it asks to be trusted through ``/addDomain`` like any site,
and signs through ``/sign`` under the same PIN rules (in local PIN mode the
service asks for the PIN itself).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

__all__ = ["SELF_TEST_HEADERS", "SELF_TEST_HTML"]

_SCRIPT = r"""
(function () {
  "use strict";
  var REMEDY = {
    service: "請確認 xcapki serve 正在執行。Make sure xcapki serve is running.",
    browser: "請改用新版 Chrome、Edge 或 Firefox。Use a current Chrome, Edge or Firefox.",
    trust: "請按「信任本頁」並在彈出視窗中按「信任」。Press Trust this page and approve in"
      + " the popup.",
    no_reader: "請接上讀卡機並安裝驅動程式（多數 USB 讀卡機使用 CCID 驅動程式），或換一個 USB"
      + " 插槽再試。Plug the reader in and install its driver (most USB readers use CCID);"
      + " try another USB port.",
    no_card: "請將 IC 卡晶片端確實插入讀卡機；若已插入，請拔出後重新插入。Insert the card chip"
      + " first and all the way in; if it is in, take it out and insert it again.",
    pin_incorrect: "請確認 PIN 碼後再試：連續輸錯 3 次卡片就會鎖住。Check the PIN before trying"
      + " again: the card locks after 3 wrong PINs.",
    pin_format: "請重新輸入：卡片 PIN 碼為 6 至 8 碼英數字。Type the PIN again: card PINs are"
      + " 6 to 8 letters or digits.",
    pin_locked: "只有發卡的憑證管理中心能解鎖，請攜卡向憑證管理中心申請解鎖。Only the issuing"
      + " CA can unlock the card: apply there for unlocking with the card.",
    expired: "請向發卡的憑證管理中心申請新卡或憑證。Apply to the card's CA for a new card or"
      + " certificate.",
    token: "請拔出 IC 卡後重新插入再試；若仍失敗請執行 xcapki doctor。Take the card out,"
      + " insert it again and retry; if it persists run xcapki doctor."
  };
  var state = {slots: [], certs: {}};
  function row(step) { return document.getElementById("step-" + step); }
  function mark(step, passed, detail, remedy) {
    var item = row(step);
    item.querySelector(".mark").textContent = passed ? "✔ 通過 pass" : "✘ 失敗 fail";
    item.className = passed ? "pass" : "fail";
    item.querySelector(".detail").textContent = detail || "";
    item.querySelector(".remedy").textContent = passed ? "" : (remedy || "");
  }
  function post(path, fields) {
    var form = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { form.set(name, fields[name]); });
    form.set("pageOrigin", location.origin);
    return fetch(path, {method: "POST", body: form, cache: "no-store"})
      .then(function (response) { return response.json(); });
  }
  function remedyFor(answer) {
    if (answer.ret_code === 0x76000006) { return REMEDY.no_card; }
    if (answer.ret_code === 0x76000031) { return REMEDY.trust; }
    if (answer.ret_code === 0x76500002) { return REMEDY.expired; }
    if (answer.last_error === 0xA0) { return REMEDY.pin_incorrect; }
    if (answer.last_error === 0xA2) { return REMEDY.pin_format; }
    if (answer.last_error === 0xA4) { return REMEDY.pin_locked; }
    return REMEDY.token;
  }
  function bytes(base64) {
    var text = atob(base64), out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }
  function element(der, at) {
    var length = der[at + 1], header = 2;
    if (length & 0x80) {
      var count = length & 0x7f;
      length = 0;
      for (var i = 0; i < count; i++) { length = length * 256 + der[at + 2 + i]; }
      header += count;
    }
    return {tag: der[at], start: at, body: at + header, end: at + header + length};
  }
  function publicKeyInfo(der) {
    var tbs = element(der, element(der, 0).body);
    var at = tbs.body, field = element(der, at);
    if (field.tag === 0xa0) { at = field.end; }
    for (var skipped = 0; skipped < 5; skipped++) { at = element(der, at).end; }
    var info = element(der, at);
    return der.slice(info.start, info.end);
  }
  function describe(time) { return new Date(time * 1000).toISOString().slice(0, 10); }
  function checkService() {
    return fetch("/", {cache: "no-store"}).then(function (response) { return response.text(); })
      .then(function (text) {
        var found = /version:([0-9.]+)/.exec(text);
        mark(1, Boolean(found), found ? "xcapki " + found[1] : text, REMEDY.service);
      }).catch(function () { mark(1, false, "", REMEDY.service); });
  }
  function checkBrowser() {
    var ok = Boolean(window.fetch && window.crypto && window.crypto.subtle &&
                     window.URLSearchParams);
    mark(2, ok, navigator.userAgent, REMEDY.browser);
  }
  function listCards() {
    return post("/pkcs11info?withcert=true", {}).then(function (answer) {
      if (answer.ret_code === 0x76000031) {
        mark(3, false, location.origin, REMEDY.trust);
        document.getElementById("trust").hidden = false;
        return;
      }
      mark(3, true, location.origin);
      document.getElementById("trust").hidden = true;
      state.slots = answer.slots || [];
      var readers = state.slots.length;
      mark(4, readers > 0, readers + " 台讀卡機 readers", REMEDY.no_reader);
      var choice = document.getElementById("reader");
      choice.textContent = "";
      state.slots.forEach(function (slot, index) {
        var token = slot.token, option = document.createElement("option");
        option.value = String(index);
        option.textContent = slot.slotDescription + (token && typeof token === "object"
          ? " — 卡號 card " + token.serialNumber : " — 無卡片 no card");
        option.disabled = !(token && typeof token === "object");
        choice.appendChild(option);
      });
      var first = state.slots.findIndex(function (slot) {
        return slot.token && typeof slot.token === "object";
      });
      if (first >= 0) { choice.value = String(first); }
      mark(5, first >= 0, first >= 0 ? state.slots[first].slotDescription : "", REMEDY.no_card);
      document.getElementById("run").disabled = first < 0;
    });
  }
  function signingCert(slot) {
    var certs = (slot.token && slot.token.certs) || [];
    return certs.find(function (cert) { return cert.usage === "digitalSignature"; }) || certs[0];
  }
  function runTest() {
    var index = Number(document.getElementById("reader").value);
    var slot = state.slots[index];
    var pin = document.getElementById("pin").value;
    mark(5, true, slot.slotDescription);
    [6, 7, 8, 9].forEach(function (step) {
      row(step).className = "";
      row(step).querySelector(".mark").textContent = "…";
      row(step).querySelector(".detail").textContent = "";
      row(step).querySelector(".remedy").textContent = "";
    });
    var text = "xcapki self-test " + new Date().toISOString() + " " + Math.random();
    var request = {func: "MakeSignature", signatureType: "PKCS1", tbs: encodeURIComponent(text),
                   tbsEncoding: "NONE", hashAlgorithm: "SHA256", withCardSN: "false",
                   pin: encodeURIComponent(pin), slotDescription: slot.slotDescription};
    return post("/sign", {tbsPackage: JSON.stringify(request)}).then(function (answer) {
      if (answer.ret_code !== 0) {
        var pinStep = answer.ret_code === 0x76100006;
        mark(pinStep ? 6 : 7, false, answer.message || String(answer.ret_code), remedyFor(answer));
        return;
      }
      mark(6, true, "卡片接受 PIN 碼 the card accepted the PIN");
      mark(7, true, "PKCS#1 SHA-256, " + bytes(answer.signature).length + " bytes");
      var der = bytes(answer.certb64);
      var algorithm = {name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"};
      return crypto.subtle.importKey("spki", publicKeyInfo(der), algorithm, false, ["verify"])
        .then(function (key) {
          return crypto.subtle.verify(algorithm, key, bytes(answer.signature),
                                      new TextEncoder().encode(text));
        }).then(function (valid) {
          mark(8, valid, valid ? "簽章驗證成功 the signature verifies" : "", REMEDY.token);
          var cert = signingCert(slot) || {};
          var now = Date.now() / 1000;
          var current = cert.notBeforeT <= now && now <= cert.notAfterT;
          mark(9, current, [cert.subjectCN, cert.subjectID, cert.issuerDN,
            describe(cert.notBeforeT) + " ~ " + describe(cert.notAfterT)].join(" | "),
            REMEDY.expired);
        }).catch(function (error) { mark(8, false, String(error), REMEDY.token); });
    });
  }
  document.getElementById("trust").addEventListener("click", function () {
    window.open("/addDomain?domain=" + encodeURIComponent(location.hostname), "xcapkiTrust",
                "width=520,height=420");
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin) { return; }
    var answer = {};
    try { answer = JSON.parse(event.data); } catch (error) { return; }
    if (answer.func === "addDomain") { listCards(); }
  });
  document.getElementById("run").addEventListener("click", runTest);
  checkBrowser();
  checkService().then(listCards);
})();
"""

_STEPS = (
    "服務與版本 Service and version",
    "瀏覽器 Browser",
    "信任本檢測頁 This page is trusted",
    "讀卡機 Card readers",
    "選擇讀卡機及卡片 Reader and card",
    "PIN 碼 PIN",
    "簽章 Sign",
    "簽章驗證 Verify the signature",
    "憑證內容 Certificate details",
)

_ROWS = "\n".join(
    f'<li id="step-{number}"><b>{number}. {title}</b> <span class="mark">…</span>'
    '<div class="detail"></div><div class="remedy"></div></li>'
    for number, title in enumerate(_STEPS, start=1)
)

SELF_TEST_HTML: Final = f"""<!doctype html>
<html lang="zh-Hant">
<head><meta charset="utf-8"><title>使用環境檢測 Self-test - xcapki</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 48em; }}
ol {{ list-style: none; padding: 0; }} li {{ margin: 0.6em 0; }}
.pass .mark {{ color: #070; }} .fail .mark {{ color: #b00; }}
.remedy {{ color: #b00; }} .detail {{ color: #444; font-size: 0.9em; word-break: break-all; }}
</style></head>
<body>
<h1>使用環境建議與檢測 Self-test (驗簽測試)</h1>
<p>本頁檢測讀卡機、IC 卡、PIN 碼與簽章是否可以使用。This page checks that the reader, card,
PIN and signing work.</p>
<p><button id="trust" hidden>信任本頁 Trust this page</button></p>
<p><label>讀卡機 Reader <select id="reader"></select></label></p>
<p><label>PIN 碼 PIN <input id="pin" type="password" autocomplete="off" maxlength="16"></label>
<button id="run" disabled>開始檢測 Run the test</button></p>
<ol id="steps">
{_ROWS}
</ol>
<script>{_SCRIPT}</script>
</body>
</html>
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

SELF_TEST_HEADERS: Final = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
