// The SmartPKI page API, placed in the page's own world on sites the user trusts:
// zhaninfo.smartpki.version and navigator.connectSmartPKI(), whose port speaks the
// smartpkiReq / smartpkiRes window messages to the content script. After "info" brings
// the native host's modulus, a PIN the page sends is wrapped (RSA PKCS#1 v1.5 of the PIN
// and "_PKI") as the page library expects; the host ignores it when it asks the PIN itself.
(function () {
  "use strict";
  const VERSION = "1.0.0.0";
  if (window.zhaninfo && window.zhaninfo.smartpki && window.zhaninfo.smartpki.xcapki) {
    return;
  }
  window.zhaninfo = Object.assign(window.zhaninfo || {}, {smartpki: {version: VERSION, xcapki: true}});

  function modPow(base, exponent, modulus) {
    let result = 1n;
    let b = base % modulus;
    let e = exponent;
    while (e > 0n) {
      if (e & 1n) {
        result = (result * b) % modulus;
      }
      b = (b * b) % modulus;
      e >>= 1n;
    }
    return result;
  }

  function wrapPin(text, modulusHex) {
    const modulus = BigInt("0x" + modulusHex);
    const size = Math.ceil(modulus.toString(16).length / 2);
    const message = new TextEncoder().encode(text);
    if (message.length > size - 11) {
      throw new Error("the PIN is too long");
    }
    const padding = new Uint8Array(size - message.length - 3);
    crypto.getRandomValues(padding);
    for (let i = 0; i < padding.length; i += 1) {
      while (padding[i] === 0) {
        padding[i] = crypto.getRandomValues(new Uint8Array(1))[0];
      }
    }
    let value = 0n;
    for (const byte of [0, 2, ...padding, 0, ...message]) {
      value = (value << 8n) | BigInt(byte);
    }
    return modPow(value, 0x10001n, modulus).toString(16).padStart(2 * size, "0");
  }

  function openPort() {
    const messageListeners = [];
    const disconnectListeners = [];
    let modulus = null;
    let open = true;

    function close() {
      if (open) {
        open = false;
        window.removeEventListener("message", receive);
        disconnectListeners.forEach((listener) => listener());
      }
    }

    function receive(event) {
      const answer = event.data;
      if (event.source !== window || !answer || typeof answer.smartpkiRes !== "string") {
        return;
      }
      if (answer.smartpkiRes === "disconnect") {
        close();
        return;
      }
      if (answer.smartpkiRes === "info" && answer.message && answer.message.modulus) {
        modulus = answer.message.modulus;
      }
      messageListeners.forEach((listener) => listener(answer));
      if (answer.smartpkiRes === "resClose") {
        close();
      }
    }

    window.addEventListener("message", receive);
    return {
      postMessage(request) {
        if (!open) {
          throw new Error("the SmartPKI port is closed");
        }
        const sent = Object.assign({}, request);
        if (modulus && typeof sent.pin === "string" && sent.pin) {
          sent.pin = wrapPin(sent.pin + "_PKI", modulus);
        }
        window.postMessage(sent, location.origin);
      },
      addMessageListener(listener) {
        messageListeners.push(listener);
      },
      addDisconnectListener(listener) {
        disconnectListeners.push(listener);
      },
      disconnect() {
        if (open) {
          window.postMessage({smartpkiReq: "reqClose"}, location.origin);
        }
        close();
      }
    };
  }

  Object.defineProperty(window.navigator, "connectSmartPKI", {
    value: () => Promise.resolve(openPort()),
    configurable: false
  });

  // The legacy Edge path: one document CustomEvent "SmartPKIAppRequest" runs a whole
  // sequence (Initial, LoadCertificate, LoadContent, Sign, Output, ReadUserData) over the
  // same port, answered by one "SmartPKIAppResponse". ConnectApp / DisconnectApp announce
  // the app and are answered at once.
  const LOST = 20002;
  const NOT_CONNECTED = 20003;

  function conversation(port) {
    let waiting = null;
    let tabid = null;
    let msgId = 0;
    port.addMessageListener((answer) => {
      if (waiting) {
        const settle = waiting;
        waiting = null;
        settle.resolve(answer);
      }
    });
    port.addDisconnectListener(() => {
      if (waiting) {
        const settle = waiting;
        waiting = null;
        settle.reject({errorCode: LOST, errorMessage: "the connection to the app was lost"});
      }
    });
    function send(request) {
      return new Promise((resolve, reject) => {
        waiting = {resolve, reject};
        port.postMessage(Object.assign({tabid, msgId}, request));
      });
    }
    return {
      async open() {
        const answer = await send({smartpkiReq: "reqOpen", origin: location.href});
        if (!answer.res || answer.res.success === undefined) {
          throw {errorCode: NOT_CONNECTED, errorMessage: (answer.res && answer.res.err) || "refused"};
        }
        tabid = answer.res.success;
        msgId += 1;
        await send({smartpkiReq: "info", msgCmd: "info"});
      },
      async command(cmd, args) {
        msgId += 1;
        const answer = await send(Object.assign({smartpkiReq: "sign", cmd}, args));
        const body = answer.message || {};
        if (body.errorCode !== 0) {
          throw {errorCode: body.errorCode, errorMessage: body.errorMessage || cmd};
        }
        return body;
      }
    };
  }

  const CARD_FIELDS = ["serialNumber", "cardNumber", "certType", "subjectSN", "name", "id",
                       "isMainCard", "subjectName", "certificate"];

  async function edgeSign(detail) {
    const port = openPort();
    const app = conversation(port);
    try {
      await app.open();
      await app.command("Initial", {soltIndex: detail.soltIndex === undefined ? -1 : detail.soltIndex,
                                    driverType: detail.driverType || 1, style: detail.style || 0});
      const reply = {cmd: "Sign", errorCode: 0, errorMessage: ""};
      const card = await app.command(detail.loadCertificate ? "LoadCertificate" : "GetAll");
      CARD_FIELDS.forEach((field) => { reply[field] = card[field]; });
      await app.command("LoadContent", {content: String(detail.content)});
      await app.command("Sign", {pin: detail.pin || "", signTime: detail.signTime || 0});
      reply.signedData = (await app.command("Output", {format: detail.format || 64})).returnValue;
      if (detail.readUserData && card.isMainCard === 2) {
        reply.attributeCertData = (await app.command("ReadUserData", {pin: detail.pin || ""})).returnValue;
      }
      await app.command("Close");
      return reply;
    } finally {
      port.disconnect();
    }
  }

  function respond(detail) {
    document.dispatchEvent(new CustomEvent("SmartPKIAppResponse", {detail}));
  }

  let edgeQueue = Promise.resolve();
  document.addEventListener("SmartPKIAppRequest", (event) => {
    const detail = event.detail || {};
    if (detail.cmd === "ConnectApp" || detail.cmd === "DisconnectApp") {
      respond({cmd: detail.cmd, errorCode: 0, errorMessage: "", version: VERSION});
      return;
    }
    if (detail.cmd !== "Sign") {
      respond({cmd: detail.cmd, errorCode: 0x78000005, errorMessage: "unknown cmd"});
      return;
    }
    edgeQueue = edgeQueue.then(() => edgeSign(detail)).then(respond, (failure) => respond({
      cmd: "Sign",
      errorCode: failure && failure.errorCode ? failure.errorCode : LOST,
      errorMessage: failure && failure.errorMessage ? failure.errorMessage : String(failure)
    }));
  });
})();
