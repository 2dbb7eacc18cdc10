"""The ``/addDomain`` popup's HTML: the site named, the trust and refuse buttons, and the
script that sends the user's answer and posts the result to the opener.

Its only script is pinned by hash in the Content-Security-Policy; the page
refuses to be framed; the trust button is enabled only after the popup has
been visible for the configured delay, and disabled again whenever the
popup loses focus (see ``xcapki.service.approval`` for why).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Final

__all__ = ["APPROVAL_HEADERS", "approval_page"]

_SCRIPT = """
(function () {
  "use strict";
  var data = document.getElementById("ask").dataset;
  var status = document.getElementById("status");
  var approve = document.getElementById("approve");
  var refuse = document.getElementById("refuse");
  var timer = null;
  function finish(text) {
    try {
      if (window.opener && data.target) { window.opener.postMessage(text, data.target); }
    } finally { window.close(); }
  }
  function send(decision) {
    approve.disabled = true;
    refuse.disabled = true;
    clearTimeout(timer);
    var form = new URLSearchParams();
    form.set("ticket", data.ticket);
    form.set("answer", decision);
    fetch("/addDomain", {method: "POST", body: form, credentials: "omit", cache: "no-store"})
      .then(function (response) { return response.text(); })
      .catch(function () {
        return JSON.stringify({func: "addDomain", ret_code: 0x7A000005, last_error: 0,
                               message: "the local signing service did not answer"});
      })
      .then(function (text) {
        var answer = {};
        try { answer = JSON.parse(text); } catch (error) { answer = {}; }
        status.textContent = answer.ret_code === 0 ? "已信任 Trusted" : "未信任 Not trusted";
        finish(text);
      });
  }
  function disarm() { approve.disabled = true; clearTimeout(timer); }
  function arm() {
    disarm();
    if (document.visibilityState === "visible") {
      timer = setTimeout(function () { approve.disabled = false; }, Number(data.delay));
    }
  }
  if (data.state === "done") { finish(data.answer); return; }
  if (data.state === "prompt") { send("prompt"); return; }
  approve.addEventListener("click", function (event) {
    if (event.isTrusted && !approve.disabled) { send("approve"); }
  });
  refuse.addEventListener("click", function () { send("refuse"); });
  window.addEventListener("blur", disarm);
  window.addEventListener("focus", arm);
  document.addEventListener("visibilitychange", arm);
  arm();
})();
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

APPROVAL_HEADERS: Final = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:32em}"
    " .site{font-size:1.3em;font-weight:bold;word-break:break-all}"
    " button{font-size:1.1em;margin:0.5em 0.5em 0 0;padding:0.4em 1.2em}"
    " .note{color:#555;font-size:0.9em}"
)


def approval_page(
    *,
    state: str,
    entry: str,
    requested_by: str | None,
    target_origin: str | None,
    ticket: str = "",
    answer: dict[str, object] | None = None,
    delay_seconds: float = 0.0,
    message: str = "",
) -> str:
    """The popup's HTML; ``state`` is ``ask`` (buttons), ``prompt`` (answer the service's
    own prompt) or ``done`` (post ``answer`` at once)."""
    asked = html.escape(entry)
    asker = ""
    if requested_by and entry not in (requested_by, requested_by.split("://", 1)[-1]):
        asker = f"<p>提出要求的網頁 Asked by: {html.escape(requested_by)}</p>"
    attributes = {
        "state": state,
        "ticket": ticket,
        "target": target_origin or "",
        "delay": str(int(delay_seconds * 1000)),
        "answer": json.dumps(answer or {}, separators=(",", ":")),
    }
    data = " ".join(f'data-{name}="{html.escape(value)}"' for name, value in attributes.items())
    if state == "ask":
        body = (
            f'<p>網站 <span class="site">{asked}</span>'
            " 要求使用您的憑證 IC 卡（讀取憑證、簽章）。</p>"
            f'<p>The site <span class="site">{asked}</span> asks to use your card (read its'
            " certificates, sign).</p>"
            f"{asker}"
            "<p>只信任您正要登入的政府或銀行網站。Trust only the government or bank site you"
            " are signing in to.</p>"
            '<button id="approve" disabled>信任 Trust</button>'
            '<button id="refuse">拒絕 Refuse</button>'
            '<p class="note">「信任」按鈕會在本視窗顯示片刻後才能按下。The Trust button works'
            " once this window has been shown for a moment.</p>"
        )
    elif state == "prompt":
        body = (
            f'<p>網站 <span class="site">{asked}</span> 要求使用您的憑證 IC 卡：請在 xcapki'
            " 的視窗或終端機回答。</p>"
            f'<p>The site <span class="site">{asked}</span> asks to use your card: answer in'
            " the xcapki window or terminal.</p>"
            f"{asker}"
            '<button id="approve" hidden disabled></button><button id="refuse" hidden></button>'
        )
    else:
        body = (
            f"<p>{html.escape(message)}</p>"
            '<button id="approve" hidden disabled></button><button id="refuse" hidden></button>'
        )
    return (
        '<!doctype html>\n<html lang="zh-Hant">\n<head><meta charset="utf-8">'
        "<title>加入信任網站 Trust a site - xcapki</title>"
        f"<style>{_STYLE}</style></head>\n"
        f'<body><main id="ask" {data}>\n<h1>加入信任網站 Trust a site?</h1>\n{body}\n'
        '<p id="status" class="note"></p></main>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
