// 以憑證簽署申報書: the portal prepares the PDF signature, the card signs the prepared bytes
// through the local signing service's popupForm (MakeSignature, PKCS1), the portal embeds it.
(function () {
  "use strict";
  var form = document.getElementById("filing-form");
  var pinField = document.getElementById("filing-pin");
  var button = document.getElementById("filing-button");
  var message = document.getElementById("filing-message");
  var download = document.getElementById("filing-download");
  var serviceUrl = form.getAttribute("data-service-url");
  var serviceOrigin = new URL(serviceUrl).origin;
  var attempt = null;

  function show(text, kind) {
    message.textContent = text;
    message.className = "message " + kind;
  }

  function finish(text, kind) {
    if (attempt) {
      clearTimeout(attempt.timer);
      if (!attempt.popup.closed) { attempt.popup.close(); }
    }
    attempt = null;
    button.disabled = false;
    pinField.value = "";
    if (text) { show(text, kind || "error"); }
  }

  function post(path, body) {
    return fetch(path, {method: "POST", credentials: "same-origin",
                        headers: {"Content-Type": "application/json"}, body: body})
      .then(function (response) {
        return response.json().then(function (result) { return [response.ok, result]; });
      });
  }

  function signPackage(prepared, pin) {
    return JSON.stringify({
      func: "MakeSignature",
      signatureType: "PKCS1",
      tbs: prepared.tbs,
      tbsEncoding: "base64",
      hashAlgorithm: prepared.hashAlgorithm,
      withCardSN: "false",
      pin: encodeURIComponent(pin)
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== serviceOrigin || !attempt || event.source !== attempt.popup) { return; }
    var answer;
    try { answer = typeof event.data === "string" ? JSON.parse(event.data) : event.data; }
    catch (error) { return; }
    if (!answer || typeof answer.func !== "string") { return; }
    if (answer.func === "getTbs") {
      var current = attempt;
      current.prepared.then(function (outcome) {
        if (attempt !== current) { return; }
        if (!outcome[0]) { finish(outcome[1].message); return; }
        current.popup.postMessage(signPackage(outcome[1], current.pin), serviceOrigin);
        current.pin = null;
        show("請稍候，正在以您的憑證簽署申報書 …", "info");
      }).catch(function () { finish("無法向入口網取得申報書，請重新整理本頁後再試。"); });
    } else if (answer.func === "sign") {
      if (answer.ret_code !== 0) {
        finish("簽章失敗（錯誤碼 0x" + (answer.ret_code >>> 0).toString(16).toUpperCase() +
               "）：" + (answer.message || ""));
        return;
      }
      show("正在將簽章放入申報書並驗證 …", "info");
      post("/apps/cpa-filing/pdf/finish", JSON.stringify({signature: answer.signature}))
        .then(function (outcome) {
          if (!outcome[0]) { finish(outcome[1].message); return; }
          finish("申報書已簽署並驗證" + (outcome[1].valid ? "通過" : "，但驗證未通過") + "。",
                 outcome[1].valid ? "info" : "error");
          download.hidden = false;
        })
        .catch(function () { finish("無法連線到入口網，請稍後再試。"); });
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (attempt) { return; }
    var popup = window.open(serviceUrl + "/popupForm", "xcapki-popup-form",
                            "width=480,height=260");
    if (!popup) {
      show("瀏覽器封鎖了彈出視窗：請允許本網站開啟彈出視窗後再試。", "error");
      return;
    }
    attempt = {popup: popup, pin: pinField.value,
               prepared: post("/apps/cpa-filing/pdf/prepare", "{}"),
               timer: setTimeout(function () {
                 finish("無法連線到本機簽章元件（" + serviceUrl + "）：請確認已執行 xcapki serve。");
               }, 120000)};
    attempt.prepared.catch(function () { return null; });
    download.hidden = true;
    button.disabled = true;
    show("正在連線本機簽章元件 …", "info");
  });
})();
