// 憑證登入 as SmartPKI pages do it: find the component's page API, open a port, run
// Initial, LoadCertificate (type check), LoadContent, Sign, Output, and submit the form
// with the detached PKCS#7. The page library's own error codes: 20001 API missing,
// 20002 connection lost, 20003 could not connect, 20004 connect failed, 20009 out of order.
(function () {
  "use strict";
  var form = document.getElementById("smartpki-form");
  var button = document.getElementById("login-button");
  var pinField = document.getElementById("pin");
  var message = document.getElementById("message");
  var allowedTypes = form.getAttribute("data-cert-types").split(",").map(Number);
  var DETACHED = 0x40;
  var NOATTR = 0x100;

  function show(text, kind) {
    message.textContent = text;
    message.className = "message " + (kind || "error");
  }

  function atLeast(version, minimum) {
    var a = String(version).split(".").map(Number);
    var b = minimum.split(".").map(Number);
    for (var i = 0; i < b.length; i += 1) {
      if ((a[i] || 0) !== b[i]) { return (a[i] || 0) > b[i]; }
    }
    return true;
  }

  function failure(code, text) {
    var error = new Error(text);
    error.code = code;
    return error;
  }

  function connect() {
    var info = window.zhaninfo && window.zhaninfo.smartpki;
    if (!info || !atLeast(info.version, "0.0.1.3") || !window.top.navigator.connectSmartPKI) {
      return Promise.reject(failure(20001, "找不到憑證元件，請安裝並啟用 xcapki 擴充功能，並允許本網站使用。"));
    }
    return window.top.navigator.connectSmartPKI().catch(function () {
      throw failure(20004, "無法連線憑證元件。");
    });
  }

  function session(port) {
    var waiting = null;
    var tabid = null;
    var msgId = 0;
    port.addMessageListener(function (answer) {
      if (waiting) { var settle = waiting; waiting = null; settle(answer); }
    });
    port.addDisconnectListener(function () {
      if (waiting) { waiting = null; show("與憑證元件的連線中斷（20002）。"); }
    });
    function send(request) {
      return new Promise(function (resolve) { waiting = resolve; port.postMessage(request); });
    }
    return {
      open: function () {
        return send({smartpkiReq: "reqOpen", origin: location.href}).then(function (answer) {
          if (!answer.res || answer.res.success === undefined) {
            throw failure(20003, "無法連線憑證元件：" + ((answer.res && answer.res.err) || ""));
          }
          tabid = answer.res.success;
        });
      },
      info: function () {
        msgId += 1;
        return send({smartpkiReq: "info", msgCmd: "info", tabid: tabid, msgId: msgId})
          .then(function (answer) {
            if (!atLeast(answer.message.version, "6.0.1.0")) {
              throw failure(20001, "憑證元件版本過舊，請更新。");
            }
            return answer.message;
          });
      },
      command: function (cmd, args) {
        msgId += 1;
        var request = Object.assign({smartpkiReq: "sign", cmd: cmd, tabid: tabid, msgId: msgId},
                                    args || {});
        return send(request).then(function (answer) {
          var body = answer.message || {};
          if (body.msgId !== msgId) { throw failure(20009, "憑證元件回應順序錯誤。"); }
          if (body.errorCode !== 0) {
            throw failure(body.errorCode, body.errorMessage || "憑證元件錯誤");
          }
          return body;
        });
      },
      close: function () { return send({smartpkiReq: "reqClose", tabid: tabid}); }
    };
  }

  function challenge() {
    return fetch("/login/challenge", {method: "POST", credentials: "same-origin",
                                      headers: {"Content-Type": "application/json"}, body: "{}"})
      .then(function (response) {
        if (!response.ok) { throw failure(0, "無法取得登入挑戰，請重新整理本頁。"); }
        return response.json();
      });
  }

  function fill(name, value) { document.getElementById(name).value = value; }

  function login() {
    button.disabled = true;
    show("請依視窗指示輸入 PIN 碼…", "info");
    var card = null;
    var properties = null;
    var issued = null;
    connect().then(function (port) {
      card = session(port);
      return card.open();
    }).then(function () {
      return card.info();
    }).then(function () {
      return card.command("Initial", {soltIndex: -1, driverType: 1, style: DETACHED + NOATTR});
    }).then(function () {
      return card.command("LoadCertificate");
    }).then(function (loaded) {
      properties = loaded;
      if (allowedTypes.indexOf(properties.certType) < 0) {
        throw failure(0, "憑證檢查錯誤，請插入工商憑證、組織及團體憑證或政府憑證。");
      }
      return challenge();
    }).then(function (answer) {
      issued = answer;
      return card.command("LoadContent", {content: issued.message});
    }).then(function () {
      return card.command("Sign", {pin: pinField.value, signTime: 0});
    }).then(function () {
      return card.command("Output", {format: 64});
    }).then(function (output) {
      pinField.value = "";
      fill("challengeId", issued.challenge_id);
      fill("signedData", output.returnValue);
      fill("certSn", properties.serialNumber);
      fill("certCardNumber", properties.cardNumber);
      fill("certCaType", properties.certType);
      fill("subjectSN", properties.subjectSN);
      fill("certOwnerName", properties.name);
      fill("ownerId", properties.id);
      fill("mainCard", properties.isMainCard);
      fill("certSubject", properties.subjectName.toUpperCase());
      fill("certBody", properties.certificate);
      return card.command("Close").then(function () { return card.close(); });
    }).then(function () {
      form.submit();
    }).catch(function (error) {
      pinField.value = "";
      button.disabled = false;
      show(error.message + (error.code ? "（" + error.code + "）" : ""));
      if (card) { card.close(); }
    });
  }

  button.addEventListener("click", login);
})();
