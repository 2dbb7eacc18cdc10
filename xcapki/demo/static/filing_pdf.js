// 以憑證簽署申報書: the portal prepares the PDF signature, the card signs the prepared bytes
// through the local signing service's popupForm (MakeSignature, PKCS1; popup_form.js runs
// that exchange), the portal embeds it.
(function () {
  "use strict";
  var download = document.getElementById("filing-download");

  function post(path, body) {
    return fetch(path, {method: "POST", credentials: "same-origin",
                        headers: {"Content-Type": "application/json"}, body: body})
      .then(function (response) {
        return response.json().then(function (result) { return [response.ok, result]; });
      });
  }

  function prepare() {
    return post("/apps/cpa-filing/pdf/prepare", "{}").then(function (outcome) {
      if (outcome[0]) { return outcome[1]; }
      var refusal = new Error(outcome[1].message);
      refusal.userText = outcome[1].message;
      throw refusal;
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

  function signed(answer, prepared, session) {
    if (answer.ret_code !== 0) {
      session.finish("簽章失敗（錯誤碼 0x" + (answer.ret_code >>> 0).toString(16).toUpperCase() +
                     "）：" + (answer.message || ""));
      return;
    }
    session.show("正在將簽章放入申報書並驗證 …", "info");
    post("/apps/cpa-filing/pdf/finish", JSON.stringify({signature: answer.signature}))
      .then(function (outcome) {
        if (!outcome[0]) { session.finish(outcome[1].message); return; }
        session.finish("申報書已簽署並驗證" + (outcome[1].valid ? "通過" : "，但驗證未通過") + "。",
                       outcome[1].valid ? "info" : "error");
        download.hidden = false;
      })
      .catch(function () { session.finish("無法連線到入口網，請稍後再試。"); });
  }

  xcapkiPopupForm({
    form: document.getElementById("filing-form"),
    pinField: document.getElementById("filing-pin"),
    button: document.getElementById("filing-button"),
    message: document.getElementById("filing-message"),
    connectMillis: 120000,
    answerMillis: 0,
    texts: {
      blocked: "瀏覽器封鎖了彈出視窗：請允許本網站開啟彈出視窗後再試。",
      connecting: "正在連線本機簽章元件 …",
      unreachable: "無法連線到本機簽章元件（{service}）：請確認已執行 xcapki serve。",
      silent: "",
      prepareFailed: "無法向入口網取得申報書，請重新整理本頁後再試。",
      signing: "請稍候，正在以您的憑證簽署申報書 …"
    },
    prepare: prepare,
    packageFor: signPackage,
    signed: signed,
    started: function () { download.hidden = true; }
  });
})();
