// 憑證登入 through a HiPKI-compatible local signing service, as government pages do:
// open http://localhost:61161/popupForm, answer its getTbs with a MakeSignature package,
// and receive the sign answer by postMessage, trusting only the service's origin
// (popup_form.js runs that exchange).
(function () {
  "use strict";
  var MAX_PIN_TRIES = 3;  // HiCOS cards lock after three wrong PINs
  var WRONG_PINS_KEY = "xcapki-demo-wrong-pins";
  var form = document.getElementById("login-form");
  var pinField = document.getElementById("pin");
  var button = document.getElementById("login-button");
  var message = document.getElementById("message");

  function wrongPins() {
    return parseInt(sessionStorage.getItem(WRONG_PINS_KEY) || "0", 10);
  }

  function hex(code) {
    return "0x" + (code >>> 0).toString(16).toUpperCase();
  }

  function serviceFailure(answer) {
    var code = answer.ret_code >>> 0;
    var last = answer.last_error >>> 0;
    if (code === 0x76000006) {
      return "請插入您的憑證：讀卡機中找不到 IC 卡，請確認卡片已確實插入讀卡機後再按憑證登入。";
    }
    if (code === 0x76100006 && last === 0xA0) {
      var wrong = wrongPins() + 1;
      sessionStorage.setItem(WRONG_PINS_KEY, String(wrong));
      var left = Math.max(MAX_PIN_TRIES - wrong, 0);
      if (left === 0) {
        return "PIN 碼錯誤。卡片可能已鎖住，請洽發卡機關解鎖。";
      }
      return "PIN 碼錯誤，您還有 " + left + " 次機會（連續錯誤 " + MAX_PIN_TRIES +
        " 次卡片將被鎖住，須向發卡機關申請解鎖）。";
    }
    if (code === 0x76100006 && last === 0xA2) {
      return "PIN 碼長度不符，請輸入 6 至 8 碼（本次未計入錯誤次數）。";
    }
    if (code === 0x76100006 && last === 0xA4) {
      return "PIN 碼已鎖住，請洽發卡機關解鎖。";
    }
    if (code === 0x76100006) {
      return "卡片登入失敗（" + hex(last) + "）：" + (answer.message || "請重新插入卡片後再試。");
    }
    if (code === 0x76500002) {
      return "您的憑證已過期或尚未生效，無法登入。請向發卡機關申請換發。";
    }
    if (code === 0x76000031 || code === 0x7600000F) {
      return "本機簽章元件尚未信任本網站，請在元件中同意本網站使用憑證後再試。";
    }
    if (code === 0x7A000003) {
      return "PIN 碼錯誤次數過多，請稍候再試，並確認 PIN 碼。";
    }
    return "簽章失敗（錯誤碼 " + hex(code) + "）：" + (answer.message || "");
  }

  function requestChallenge() {
    return fetch("/login/challenge", {method: "POST", credentials: "same-origin",
                                      headers: {"Content-Type": "application/json"}, body: "{}"})
      .then(function (response) {
        if (!response.ok) { throw new Error("challenge " + response.status); }
        return response.json();
      });
  }

  function signPackage(challenge, pin) {
    return JSON.stringify({
      func: "MakeSignature",
      signatureType: "PKCS7",
      tbs: encodeURIComponent(challenge.message),
      tbsEncoding: "NONE",
      hashAlgorithm: "SHA256",
      withCardSN: "false",
      pin: encodeURIComponent(pin)
    });
  }

  function submitSignature(answer, challenge, session) {
    var body = JSON.stringify({version: 1, format: "hipki",
                               challenge_id: challenge.challenge_id, hipki: answer});
    session.show("驗證憑證中 …", "info");
    fetch("/login", {method: "POST", credentials: "same-origin",
                     headers: {"Content-Type": "application/json"}, body: body})
      .then(function (response) {
        return response.json().then(function (result) { return [response.ok, result]; });
      })
      .then(function (outcome) {
        if (outcome[0]) {
          sessionStorage.removeItem(WRONG_PINS_KEY);
          window.location.assign(outcome[1].next);
        } else {
          session.finish(outcome[1].message);
        }
      })
      .catch(function () { session.finish("無法連線到入口網，請稍後再試。"); });
  }

  xcapkiPopupForm({
    form: form,
    pinField: pinField,
    button: button,
    message: message,
    connectMillis: 10000,
    answerMillis: 120000,
    texts: {
      blocked: "瀏覽器封鎖了彈出視窗：請允許本網站開啟彈出視窗後再按憑證登入。",
      connecting: "正在連線本機簽章元件 …",
      unreachable: "無法連線到本機簽章元件（{service}）：請確認已執行 xcapki serve。",
      silent: "本機簽章元件沒有回應，請再試一次。",
      prepareFailed: "無法向入口網取得登入資料，請重新整理本頁後再試。",
      signing: "請稍候，正在以您的憑證簽章 …"
    },
    prepare: requestChallenge,
    packageFor: signPackage,
    signed: function (answer, challenge, session) {
      if (answer.ret_code !== 0) {
        session.finish(serviceFailure(answer));
      } else {
        submitSignature(answer, challenge, session);
      }
    }
  });
})();
