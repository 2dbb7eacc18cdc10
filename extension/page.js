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
})();
