// The background worker: talks to the xcapki native host for both page protocols.
// Web eID: each request opens a new native connection, waits at most 5 s for the host's
// {"version"}, sends one command with the origin taken from the browser's record of the
// sending page (never from the page), and waits for the user. SmartPKI: one native
// connection per page, commands one at a time, on sites the user trusts only (the
// page-world API is registered for those sites alone; the host checks again).
"use strict";

const HOST = "tw.xcapki.native_host";
const VERSION_TIMEOUT = 5000;
const DEFAULT_USER_TIMEOUT = 120000;
const MAX_REQUEST = 8192;
const PAGE_SCRIPT = "xcapki-smartpki-page";
const REQUIRED = {
  "web-eid:authenticate": ["unverifiedCertificate", "algorithm", "signature", "format", "appVersion"],
  "web-eid:get-signing-certificate": ["certificate", "supportedSignatureAlgorithms"],
  "web-eid:sign": ["signature", "signatureAlgorithm"]
};

function failure(code, message) {
  const error = new Error(message || code);
  error.code = code;
  return error;
}

function nativeConnection() {
  const port = chrome.runtime.connectNative(HOST);
  const waiting = [];
  const closedListeners = [];
  let version = null;
  let closed = false;
  let settleVersion = null;
  const ready = new Promise((resolve, reject) => {
    settleVersion = {resolve, reject};
  });
  const versionTimer = setTimeout(() => {
    settleVersion.reject(failure("ERR_WEBEID_NATIVE_UNAVAILABLE", "the native host did not start"));
  }, VERSION_TIMEOUT);

  port.onMessage.addListener((message) => {
    if (version === null) {
      clearTimeout(versionTimer);
      version = typeof message.version === "string" ? message.version : "";
      if (version) {
        settleVersion.resolve(version);
      } else {
        settleVersion.reject(failure("ERR_WEBEID_VERSION_INVALID", "no version from the host"));
      }
      return;
    }
    const next = waiting.shift();
    if (next) {
      next.resolve(message);
    }
  });
  port.onDisconnect.addListener(() => {
    closed = true;
    clearTimeout(versionTimer);
    const reason = chrome.runtime.lastError ? chrome.runtime.lastError.message : "disconnected";
    if (version === null) {
      settleVersion.reject(failure("ERR_WEBEID_NATIVE_UNAVAILABLE", reason));
    }
    waiting.splice(0).forEach((entry) => entry.reject(failure("ERR_WEBEID_NATIVE_FATAL", reason)));
    closedListeners.forEach((listener) => listener());
  });

  return {
    ready,
    request(message, timeout) {
      if (closed) {
        return Promise.reject(failure("ERR_WEBEID_NATIVE_FATAL", "the native host has ended"));
      }
      return new Promise((resolve, reject) => {
        const entry = {resolve, reject};
        if (timeout) {
          const timer = setTimeout(() => {
            const index = waiting.indexOf(entry);
            if (index >= 0) {
              waiting.splice(index, 1);
            }
            reject(failure("ERR_WEBEID_USER_TIMEOUT", "the user did not answer in time"));
          }, timeout);
          entry.resolve = (value) => { clearTimeout(timer); resolve(value); };
          entry.reject = (error) => { clearTimeout(timer); reject(error); };
        }
        waiting.push(entry);
        port.postMessage(message);
      });
    },
    onClosed(listener) {
      closedListeners.push(listener);
    },
    close() {
      if (!closed) {
        closed = true;
        port.disconnect();
      }
    }
  };
}

function senderOrigin(sender) {
  return new URL(sender.url).origin;
}

function major(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(String(version));
  if (!match) {
    throw failure("ERR_WEBEID_VERSION_INVALID", "not a semantic version: " + version);
  }
  return Number(match[1]);
}

async function webEidStatus(request) {
  const extension = chrome.runtime.getManifest().version;
  const native = nativeConnection();
  try {
    const nativeApp = await native.ready;
    await native.request({command: "quit", arguments: {}}, VERSION_TIMEOUT);
    const library = major(request.libraryVersion);
    const requiresUpdate = {
      extension: major(extension) < library,
      nativeApp: major(nativeApp) < library || major(nativeApp) < major(extension)
    };
    if (requiresUpdate.extension || requiresUpdate.nativeApp) {
      const error = failure("ERR_WEBEID_VERSION_MISMATCH", "a component needs an update");
      Object.assign(error, {requiresUpdate, library: request.libraryVersion, extension, nativeApp});
      throw error;
    }
    return {library: request.libraryVersion, extension, nativeApp};
  } finally {
    native.close();
  }
}

function commandFor(request, origin) {
  const lang = request.options && typeof request.options.lang === "string"
    ? {lang: request.options.lang} : {};
  function need(name) {
    if (request[name] === undefined || request[name] === null || request[name] === "") {
      throw failure("ERR_WEBEID_MISSING_PARAMETER", name + " is missing");
    }
    return request[name];
  }
  switch (request.action) {
    case "web-eid:authenticate":
      return {command: "authenticate",
              arguments: {challengeNonce: need("challengeNonce"), origin, ...lang}};
    case "web-eid:get-signing-certificate":
      return {command: "get-signing-certificate", arguments: {origin, ...lang}};
    case "web-eid:sign":
      return {command: "sign", arguments: {certificate: need("certificate"), hash: need("hash"),
                                           hashFunction: need("hashFunction"), origin, ...lang}};
    default:
      throw failure("ERR_WEBEID_UNKNOWN_ERROR", "unknown action " + request.action);
  }
}

async function command(request, origin) {
  const message = commandFor(request, origin);
  if (JSON.stringify(message).length > MAX_REQUEST) {
    throw failure("ERR_WEBEID_NATIVE_INVALID_ARGUMENT", "the request is too large");
  }
  const options = request.options || {};
  const userTimeout = Number(options.userInteractionTimeout) || DEFAULT_USER_TIMEOUT;
  const native = nativeConnection();
  try {
    await native.ready;
    const answer = await native.request(message, userTimeout);
    if (answer.error) {
      throw failure(answer.error.code || "ERR_WEBEID_UNKNOWN_ERROR", answer.error.message);
    }
    const result = {};
    for (const field of REQUIRED[request.action]) {
      if (answer[field] === undefined) {
        throw failure("ERR_WEBEID_UNKNOWN_ERROR", "the host's answer lacks " + field);
      }
      result[field] = answer[field];
    }
    return result;
  } finally {
    native.close();
  }
}

async function webEid(request, sender) {
  try {
    const origin = senderOrigin(sender);
    const result = request.action === "web-eid:status"
      ? await webEidStatus(request) : await command(request, origin);
    return {action: request.action + "-success", ...result};
  } catch (error) {
    const code = typeof error.code === "string" ? error.code : "ERR_WEBEID_UNKNOWN_ERROR";
    const serialised = {code, message: error.message};
    for (const key of ["requiresUpdate", "library", "extension", "nativeApp"]) {
      if (error[key] !== undefined) {
        serialised[key] = error[key];
      }
    }
    return {action: request.action + "-failure", error: serialised};
  }
}

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (message && message.webeid && typeof message.webeid.action === "string") {
    webEid(message.webeid, sender).then(reply);
    return true;
  }
  if (message && message.sites === "add" && typeof message.origin === "string") {
    askHost({sites: "add", origin: message.origin}).then(registerPageScript).then(
      (sites) => reply({sites}), (error) => reply({error: error.message}));
    return true;
  }
  return false;
});

function smartPkiSession(port) {
  const tabid = port.sender.tab ? port.sender.tab.id : -1;
  const origin = senderOrigin(port.sender);
  let native = null;
  let queue = Promise.resolve();

  async function handle(request) {
    const kind = request.smartpkiReq;
    if (kind === "reqOpen") {
      try {
        native = nativeConnection();
        native.onClosed(() => { native = null; });
        await native.ready;
        const opened = (await native.request({smartpki: {type: "open", origin}})).smartpki;
        if (opened.type !== "opened") {
          throw new Error(opened.error || "refused");
        }
        port.postMessage({smartpkiRes: "resOpen", res: {success: tabid}});
      } catch (error) {
        port.postMessage({smartpkiRes: "resOpen", res: {err: error.message}});
      }
      return;
    }
    if (kind === "reqClose") {
      if (native) {
        await native.request({smartpki: {type: "close"}}).catch(() => null);
        native.close();
      }
      port.postMessage({smartpkiRes: "resClose", tabid});
      return;
    }
    if (!native) {
      port.postMessage({smartpkiRes: "disconnect"});
      return;
    }
    if (kind === "info") {
      const answer = (await native.request({smartpki: {type: "info"}})).smartpki;
      port.postMessage({smartpkiRes: "info", tabid, message: answer.message});
    } else if (kind === "sign") {
      const {smartpkiReq: ignored, ...command} = request;
      const answer = (await native.request({smartpki: {type: "command", request: command}})).smartpki;
      port.postMessage({smartpkiRes: "sign", tabid, message: answer.message});
    }
  }

  port.onMessage.addListener((request) => {
    queue = queue.then(() => handle(request)).catch(() => port.postMessage({smartpkiRes: "disconnect"}));
  });
  port.onDisconnect.addListener(() => {
    if (native) {
      native.close();
    }
  });
}

chrome.runtime.onConnect.addListener((port) => {
  if (port.name === "smartpki" && port.sender && port.sender.url) {
    smartPkiSession(port);
  }
});

async function askHost(message) {
  const native = nativeConnection();
  try {
    await native.ready;
    const answer = await native.request(message, DEFAULT_USER_TIMEOUT);
    if (answer.error) {
      throw new Error(answer.error.message);
    }
    return answer.sites;
  } finally {
    native.close();
  }
}

function patternFor(entry) {
  if (entry.includes("://")) {
    const url = new URL(entry);
    return url.protocol + "//" + url.hostname + "/*";
  }
  return "https://" + entry + "/*";
}

async function registerPageScript(sites) {
  const registered = await chrome.scripting.getRegisteredContentScripts({ids: [PAGE_SCRIPT]});
  if (registered.length) {
    await chrome.scripting.unregisterContentScripts({ids: [PAGE_SCRIPT]});
  }
  if (sites.length) {
    await chrome.scripting.registerContentScripts([{
      id: PAGE_SCRIPT,
      matches: sites.map(patternFor),
      js: ["page.js"],
      world: "MAIN",
      runAt: "document_start",
      allFrames: true
    }]);
  }
  return sites;
}

function refreshSites() {
  return askHost({sites: "list"}).then(registerPageScript).catch(() => null);
}

chrome.runtime.onInstalled.addListener(refreshSites);
chrome.runtime.onStartup.addListener(refreshSites);
