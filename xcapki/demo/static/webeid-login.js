// 憑證登入 with Web eID: ask the extension to authenticate with the portal's nonce, as the
// Web eID page library does (postMessage, an ack within a second, then the answer), and
// post the web-eid:1.0 token. The PIN is asked by the extension's native host, never here.
(function () {
  "use strict";
  var LIBRARY_VERSION = "2.1.0";
  var ACK_TIMEOUT = 1000;
  var USER_TIMEOUT = 120000;
  var loadedAt = Date.now();
  var button = document.getElementById("webeid-button");
  var message = document.getElementById("message");
  var TEXTS = {
    ERR_WEBEID_EXTENSION_UNAVAILABLE: "找不到 xcapki 擴充功能，請安裝並啟用後重新整理本頁。",
    ERR_WEBEID_NATIVE_UNAVAILABLE: "找不到 xcapki 原生程式，請執行 xcapki browser install。",
    ERR_WEBEID_USER_CANCELLED: "您已取消登入。",
    ERR_WEBEID_USER_TIMEOUT: "等候輸入 PIN 碼逾時，請再試一次。",
    ERR_WEBEID_CONTEXT_INSECURE: "本頁不是安全連線（https），無法使用憑證登入。",
    ERR_WEBEID_ACTION_TIMEOUT: "憑證元件沒有回應，請再試一次。"
  };

  function show(text, kind) {
    message.textContent = text;
    message.className = "message " + (kind || "error");
  }

  function failure(code, text) {
    var error = new Error(text || code);
    error.code = code;
    return error;
  }

  function call(action, fields, replyTimeout) {
    if (!window.isSecureContext) {
      return Promise.reject(failure("ERR_WEBEID_CONTEXT_INSECURE"));
    }
    var wait = Math.max(0, loadedAt + 1000 - Date.now());
    return new Promise(function (resolve) { setTimeout(resolve, wait); }).then(function () {
      return new Promise(function (resolve, reject) {
        var ackTimer = null;
        var replyTimer = null;
        function done() {
          clearTimeout(ackTimer);
          clearTimeout(replyTimer);
          window.removeEventListener("message", listen);
        }
        function listen(event) {
          var data = event.data;
          if (event.source !== window || !data || typeof data.action !== "string") { return; }
          if (data.action === action + "-ack") {
            clearTimeout(ackTimer);
            replyTimer = setTimeout(function () {
              done(); reject(failure("ERR_WEBEID_ACTION_TIMEOUT"));
            }, replyTimeout);
          } else if (data.action === action + "-success") {
            done(); resolve(data);
          } else if (data.action === action + "-failure") {
            done();
            var error = data.error || {};
            reject(failure(error.code || "ERR_WEBEID_UNKNOWN_ERROR", error.message));
          }
        }
        window.addEventListener("message", listen);
        ackTimer = setTimeout(function () {
          done(); reject(failure("ERR_WEBEID_EXTENSION_UNAVAILABLE"));
        }, ACK_TIMEOUT);
        window.postMessage(Object.assign({action: action, libraryVersion: LIBRARY_VERSION},
                                         fields), "*");
      });
    });
  }

  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json"},
                       body: JSON.stringify(body)})
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { throw failure("PORTAL", answer.message || "登入失敗。"); }
          return answer;
        });
      });
  }

  function login() {
    button.disabled = true;
    show("請依視窗指示輸入 PIN 碼…", "info");
    var challengeId = null;
    post("/login/webeid/challenge", {}).then(function (challenge) {
      challengeId = challenge.challengeId;
      return call("web-eid:authenticate",
                  {challengeNonce: challenge.nonce,
                   options: {userInteractionTimeout: USER_TIMEOUT, lang: "zh"}},
                  5000 + USER_TIMEOUT);
    }).then(function (answer) {
      var token = {
        unverifiedCertificate: answer.unverifiedCertificate,
        algorithm: answer.algorithm,
        signature: answer.signature,
        format: answer.format,
        appVersion: answer.appVersion
      };
      return post("/login/webeid", {challengeId: challengeId, authToken: token});
    }).then(function (answer) {
      window.location.assign(answer.next);
    }).catch(function (error) {
      button.disabled = false;
      show(TEXTS[error.code] || (error.message + "（" + error.code + "）"));
    });
  }

  button.addEventListener("click", login);
})();
