// The toolbar popup: trust the current site for SmartPKI pages. The native host asks the
// user again in its own dialog, which a page cannot draw or click.
(function () {
  "use strict";
  const site = document.getElementById("site");
  const result = document.getElementById("result");
  const button = document.getElementById("allow");
  chrome.tabs.query({active: true, currentWindow: true}).then(([tab]) => {
    const origin = tab && tab.url ? new URL(tab.url).origin : "";
    site.textContent = origin;
    button.disabled = !origin.startsWith("https://");
    button.addEventListener("click", () => {
      chrome.runtime.sendMessage({sites: "add", origin}).then((answer) => {
        result.textContent = answer.error ? answer.error : "已允許，請重新整理頁面。";
      });
    });
  });
})();
