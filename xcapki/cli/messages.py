"""Every sentence the CLI prints, in English and Traditional Chinese.

One table keeps the two languages side by side so a message cannot exist in
one and be forgotten in the other (a test checks both have the same fields).
Library error messages stay English: the CLI shows them as the detail behind
a translated summary and remedy.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final

from xcapki.cli.language import Language

__all__ = ["MESSAGES", "Catalogue"]

_E = Language.ENGLISH
_Z = Language.TRADITIONAL_CHINESE

MESSAGES: Final[Mapping[str, Mapping[Language, str]]] = {
    # command-line help (argparse)
    "help.group.common": {_E: "common options", _Z: "共用選項"},
    "help.json": {_E: "print one JSON document on stdout", _Z: "在標準輸出印出一份 JSON 文件"},
    "help.lang": {
        _E: "message language (default: from LC_ALL/LC_MESSAGES/LANG)",
        _Z: "訊息語言（預設依 LC_ALL／LC_MESSAGES／LANG）",
    },
    "help.debug": {_E: "show the traceback of an error", _Z: "錯誤時顯示程式追蹤資訊"},
    "help.quiet": {
        _E: "no progress messages or progress bar on stderr",
        _Z: "不在標準錯誤輸出顯示進度訊息與進度列",
    },
    "help.module": {
        _E: "PKCS#11 module (default: $XCAPKI_PKCS11_MODULE, else the installed module that sees "
        "the card)",
        _Z: "PKCS#11 模組（預設：$XCAPKI_PKCS11_MODULE，否則為偵測到卡片的已安裝模組）",
    },
    "help.token": {
        _E: "the card to use, by serial number or label",
        _Z: "要使用的卡片（卡號或標籤）",
    },
    "help.spend_final_try": {
        _E: "allow using the card's last PIN try (a wrong PIN then locks the card)",
        _Z: "允許使用卡片最後一次 PIN 碼機會（輸錯卡片就會鎖住）",
    },
    "help.pin_env": {
        _E: "read the PIN from environment variable VAR instead of a prompt",
        _Z: "從環境變數 VAR 讀取 PIN 碼，而不是提示輸入",
    },
    "help.trust_root": {
        _E: "trust this root instead of the bundled GRCA roots (repeatable)",
        _Z: "信任此根憑證，取代內建的 GRCA 根憑證（可重複指定）",
    },
    "help.intermediate": {
        _E: "an intermediate CA certificate for path building (repeatable)",
        _Z: "建立憑證路徑用的中繼 CA 憑證（可重複指定）",
    },
    "help.description": {
        _E: "Taiwan GPKI smart cards (XCA, GCA, MOICA, MOEACA): check, sign, verify.",
        _Z: "臺灣政府憑證 IC 卡（組織及團體、政府、自然人、工商憑證）：檢查、簽章、驗章。",
    },
    "help.readers": {_E: "list card readers and the cards in them", _Z: "列出讀卡機與其中的卡片"},
    "help.tokens": {
        _E: "list the cards (tokens) the PKCS#11 module sees",
        _Z: "列出憑證元件（PKCS#11 模組）偵測到的卡片",
    },
    "help.certs": {
        _E: "show the card's certificates with the Taiwan profile",
        _Z: "顯示卡片中的憑證與其臺灣憑證資訊",
    },
    "help.pin": {_E: "the card's PIN: status or change", _Z: "卡片 PIN 碼：查詢狀態或變更"},
    "help.pin.status": {
        _E: "show the PIN state (no PIN needed)",
        _Z: "顯示 PIN 碼狀態（不需輸入 PIN 碼）",
    },
    "help.pin.change": {_E: "change the PIN", _Z: "變更 PIN 碼"},
    "help.new_pin_env": {
        _E: "read the new PIN from environment variable VAR",
        _Z: "從環境變數 VAR 讀取新 PIN 碼",
    },
    "help.sign": {
        _E: "sign a file into a CMS (PKCS#7) signature",
        _Z: "將檔案簽署為 CMS（PKCS#7）簽章",
    },
    "help.detached": {
        _E: "leave the content out (a detached signature)",
        _Z: "簽章中不含原文（分離式簽章）",
    },
    "help.sign.force": {_E: "replace OUTPUT if it exists", _Z: "若 OUTPUT 已存在則取代"},
    "help.native_host": {
        _E: "the browser extension's native messaging host",
        _Z: "瀏覽器擴充功能的原生訊息程式",
    },
    "help.native_host.caller": {
        _E: "what the browser passes (the extension's id)",
        _Z: "瀏覽器傳入的參數（擴充功能的識別碼）",
    },
    "help.native_host.pinentry": {
        _E: "the PIN dialog program (default: $XCAPKI_PINENTRY, else the desktop's pinentry)",
        _Z: "輸入 PIN 碼的對話框程式（預設：$XCAPKI_PINENTRY，否則為桌面環境的 'pinentry'）",
    },
    "help.native_host.sites": {
        _E: "the trusted sites file (default: the service's)",
        _Z: "信任網站清單檔（預設：與本機服務相同）",
    },
    "help.native_host.accept_page_pin": {
        _E: "SmartPKI compatible mode: use the PIN the page sends, not the dialog (less safe)",
        _Z: "SmartPKI 相容模式：使用網頁送來的 PIN 碼，而非對話框（較不安全）",
    },
    "help.native_host.timeout": {
        _E: "seconds the user has to answer a dialog",
        _Z: "使用者回應對話框的秒數",
    },
    "help.browser": {
        _E: "register the native host with browsers",
        _Z: "向瀏覽器登錄原生程式",
    },
    "help.browser.install": {
        _E: "write the native host manifests",
        _Z: "寫入原生程式的登錄檔",
    },
    "help.browser.uninstall": {
        _E: "remove them",
        _Z: "移除登錄檔",
    },
    "help.browser.user_data_dir": {
        _E: "a Chromium profile directory to register the host in instead",
        _Z: "改為登錄到此 Chromium 設定檔目錄",
    },
    "help.browser.home": {
        _E: "install under DIR instead of the home directory or /",
        _Z: "安裝到 DIR，而非家目錄或 /",
    },
    "help.browser.pinentry": {
        _E: "the PIN dialog program",
        _Z: "輸入 PIN 碼的對話框程式",
    },
    "help.browser.sites": {
        _E: "the trusted sites file",
        _Z: "信任網站清單檔",
    },
    "help.browser.accept_page_pin": {
        _E: "SmartPKI compatible mode: the host uses the PIN the page sends",
        _Z: "SmartPKI 相容模式：原生程式使用網頁送來的 PIN 碼",
    },
    "help.pdf.group": {
        _E: "PDF (PAdES) options",
        _Z: "PDF（PAdES）選項",
    },
    "help.pdf.sign": {
        _E: "sign as PAdES even without a %%PDF header",
        _Z: "即使檔案沒有 %%PDF 開頭也以 PAdES 簽署",
    },
    "help.pdf.level": {
        _E: "PAdES level (default: b-b)",
        _Z: "PAdES 等級（預設：b-b）",
    },
    "help.pdf.tsa": {
        _E: "RFC 3161 time-stamping authority (b-t and up)",
        _Z: "RFC 3161 時戳服務（b-t 以上）",
    },
    "help.pdf.stamp": {
        _E: "draw organisation and 統一編號 on a page",
        _Z: "在頁面上畫出機關名稱與統一編號",
    },
    "help.pdf.page": {
        _E: "page of the stamp, from 1; -1 is the last",
        _Z: "簽章圖樣所在頁碼，從 1 起算；-1 為最後一頁",
    },
    "help.pdf.box": {
        _E: "the stamp's box in points (default: bottom right)",
        _Z: "簽章圖樣的位置（點；預設：右下角）",
    },
    "help.pdf.font": {
        _E: "a CJK font for the stamp (.ttf/.otf/.ttc)",
        _Z: "簽章圖樣使用的中文字型（.ttf/.otf/.ttc）",
    },
    "help.pdf.reason": {
        _E: "the reason recorded in the signature",
        _Z: "記錄在簽章中的簽署原因",
    },
    "help.pdf.location": {
        _E: "the place recorded in the signature",
        _Z: "記錄在簽章中的簽署地點",
    },
    "help.pdf.trust_root": {
        _E: "b-lt/b-lta: collect revocation data up to this root instead of GRCA (repeatable)",
        _Z: "b-lt/b-lta：蒐集廢止資訊直到此根憑證，而非 GRCA（可重複）",
    },
    "help.pdf.intermediate": {
        _E: "an intermediate CA",
        _Z: "中繼憑證機構",
    },
    "help.pdf.verify": {
        _E: "verify as a PDF even without a %%PDF header",
        _Z: "即使檔案沒有 %%PDF 開頭也以 PDF 驗證",
    },
    "help.encrypt.to": {
        _E: "recipient certificate",
        _Z: "收件者憑證",
    },
    "help.encrypt.cipher": {
        _E: "content cipher (default aes-256-gcm; a CBC cipher for readers older than OpenSSL 3)",
        _Z: "內容加密演算法（預設 'aes-256-gcm'；對 OpenSSL 3 以前的讀取端用 CBC）",
    },
    "help.encrypt.key_transport": {
        _E: "how the recipient's RSA key wraps the content key (default oaep, with SHA-1 as"
        " CMS defines it and cards offer it)",
        _Z: "收件者 RSA 金鑰包裝內容金鑰的方式（預設 'oaep'，依 CMS 定義與卡片支援使用 SHA-1）",
    },
    "help.output.force": {
        _E: "replace OUTPUT if it exists",
        _Z: "若 OUTPUT 已存在則取代",
    },
    "help.decrypt.input": {
        _E: "the envelope, DER or PEM",
        _Z: "數位信封，DER 或 PEM 格式",
    },
    "help.encrypt": {
        _E: "encrypt a file to a certificate (CMS envelope; no card needed)",
        _Z: "以憑證加密檔案（CMS 數位信封；不需要卡片）",
    },
    "help.decrypt": {
        _E: "decrypt a CMS envelope (PKCS#7) with the card's encryption key",
        _Z: "以卡片的加密金鑰解開 CMS 數位信封（PKCS#7）",
    },
    "help.approve_sites": {
        _E: "where you trust a site asking through /addDomain: in its popup, or this terminal",
        _Z: "網站透過 /addDomain 要求信任時，在哪裡確認：彈出視窗或此終端機",
    },
    "help.demo.login": {
        _E: "the local service (hipki), or the native host as the extension: smartpki, webeid",
        _Z: "經由本機服務（hipki），或如瀏覽器擴充功能經由原生程式：smartpki、webeid",
    },
    "help.verify": {_E: "verify a CMS (PKCS#7) signature", _Z: "驗證 CMS（PKCS#7）簽章"},
    "help.content": {
        _E: "the signed document (for a detached signature)",
        _Z: "被簽署的文件（分離式簽章時使用）",
    },
    "help.out": {
        _E: "write the signed content to FILE (only when intact)",
        _Z: "將簽署的原文寫入 FILE（僅在簽章完整時）",
    },
    "help.verify.force": {
        _E: "replace the --out FILE if it exists",
        _Z: "若 --out 指定的檔案已存在則取代",
    },
    "help.max_size": {
        _E: "refuse a signature file larger than SIZE (K, M, G suffixes; default: 4G)",
        _Z: "拒絕大於 SIZE 的簽章檔（可用 K、M、G 單位；預設 4G）",
    },
    "help.selftest": {
        _E: "驗簽測試 (self-test): PIN, sign a challenge, verify it and its path",
        _Z: "驗簽測試：PIN 碼、簽署挑戰值、驗證簽章與憑證路徑",
    },
    "help.doctor": {_E: "check everything a card login needs", _Z: "檢查憑證登入所需的一切"},
    "help.timeout": {
        _E: "seconds for each network check (default: 5)",
        _Z: "每項網路檢查的秒數（預設 5）",
    },
    "help.no_pcsc": {
        _E: "software token (virtual card): skip the reader checks",
        _Z: "軟體卡片（虛擬卡片）：略過讀卡機檢查",
    },
    "help.offline": {_E: "skip the revocation and portal checks", _Z: "略過廢止狀態與入口網檢查"},
    "help.serve": {
        _E: "run the HiPKI-compatible local signing service",
        _Z: "執行相容 HiPKI 的本機簽章服務",
    },
    "help.pin_mode": {
        _E: "page: the web page sends the PIN (HiPKI); local: xcapki asks",
        _Z: "page：由網頁送出 PIN 碼（HiPKI）；local：由 xcapki 詢問",
    },
    "help.virtual_card": {_E: "SoftHSM2 virtual test cards", _Z: "SoftHSM2 虛擬測試卡片"},
    "help.virtual_card.create": {
        _E: "make a virtual card in a test PKI",
        _Z: "在測試 PKI 中建立虛擬卡片",
    },
    "help.ubn": {
        _E: "統一編號, unified business number (8 digits; default 12345678 for XCA and MOEACA)",
        _Z: "統一編號（8 碼；組織及團體與工商憑證預設 12345678）",
    },
    "help.demo": {
        _E: "log in to the example portal (virtual or real card)",
        _Z: "登入範例入口網（虛擬或實體卡片）",
    },
    "help.once": {
        _E: "log in once, print the identity and exit (for CI)",
        _Z: "登入一次、印出身分後結束（供 CI 使用）",
    },
    "help.portal_port": {
        _E: "portal port (default 61180; --once: any free one)",
        _Z: "入口網連接埠（預設 61180；--once 時任選空閒埠）",
    },
    "help.demo.revocation": {
        _E: "the portal's revocation checking (default: hard)",
        _Z: "入口網的廢止檢查方式（預設 hard）",
    },
    "help.revocation": {
        _E: "revocation checking (default: {default})",
        _Z: "廢止檢查方式（預設 {default}）",
    },
    "help.portal_url": {_E: "portal to reach (default: {url})", _Z: "要連線的入口網（預設 {url}）"},
    "help.service_port": {
        _E: "local signing service port (default: {port})",
        _Z: "本機簽章服務連接埠（預設 {port}）",
    },
    "help.directory": {
        _E: "where the test PKI and cards live (default: $XCAPKI_HOME or "
        "~/.local/share/xcapki/virtual-cards)",
        _Z: "測試 PKI 與虛擬卡片的存放位置（預設 $XCAPKI_HOME 或 "
        "~/.local/share/xcapki/virtual-cards）",
    },
    "help.demo.directory": {
        _E: "test PKI and virtual card (default: $XCAPKI_HOME or "
        "~/.local/share/xcapki/virtual-cards)",
        _Z: "測試 PKI 與虛擬卡片（預設 $XCAPKI_HOME 或 ~/.local/share/xcapki/virtual-cards）",
    },
    "help.demo.service_port": {
        _E: "local service port (default {port}; --once: any free one)",
        _Z: "本機簽章服務連接埠（預設 {port}；--once 時任選空閒埠）",
    },
    "help.input": {_E: "the file to sign", _Z: "要簽署的檔案"},
    "help.output": {
        _E: "where to write the signature (checked before the PIN is asked)",
        _Z: "簽章的輸出檔（在詢問 PIN 碼之前檢查）",
    },
    "help.hash": {_E: "digest algorithm (default: sha256)", _Z: "雜湊演算法（預設 sha256）"},
    "help.signature": {
        _E: "the signature file (.p7s/.p7m, DER or PEM)",
        _Z: "簽章檔（.p7s／.p7m，DER 或 PEM）",
    },
    "help.host": {
        _E: "address to listen on (default: 127.0.0.1)",
        _Z: "監聽位址（預設 127.0.0.1）",
    },
    "help.port": {_E: "port to listen on (default: {port})", _Z: "監聽連接埠（預設 {port}）"},
    "help.authority": {
        _E: "the CA whose card to make (default: xca)",
        _Z: "要建立哪個憑證管理中心的卡片（預設 xca）",
    },
    "help.organisation": {_E: "the organisation's name on the card", _Z: "卡片上的機關／組織名稱"},
    "help.version": {_E: "show xcapki's version and exit", _Z: "顯示 xcapki 版本並結束"},
    "help.wait": {
        _E: "first wait until a card is inserted (for SECONDS; without a value, until Ctrl-C)",
        _Z: "先等候插入卡片（最多 SECONDS 秒；未指定則等到按 Ctrl-C）",
    },
    "help.export": {
        _E: "also write the card's certificate to FILE",
        _Z: "並將卡片憑證寫入 FILE",
    },
    "help.export_format": {
        _E: "file format of --export (default: pem)",
        _Z: "--export 的檔案格式（預設 pem）",
    },
    "help.export_purpose": {
        _E: "which certificate --export writes (default: signing)",
        _Z: "--export 寫出哪一張憑證（預設 signing 簽章憑證）",
    },
    "help.export_force": {
        _E: "replace the --export FILE if it exists",
        _Z: "若 --export 指定的檔案已存在則取代",
    },
    "help.trust": {
        _E: "the sites the local signing service lets use the card",
        _Z: "可使用本機簽章服務（卡片）的網站",
    },
    "help.trust.list": {_E: "list the trusted sites", _Z: "列出信任的網站"},
    "help.trust.add": {_E: "trust a site", _Z: "信任一個網站"},
    "help.trust.remove": {_E: "stop trusting a site", _Z: "不再信任一個網站"},
    "help.trust.site": {
        _E: "a domain (www.example.gov.tw: https on any port) or an origin (http://host:8080)",
        _Z: "網域（www.example.gov.tw：任何埠的 https）或來源（http://host:8080）",
    },
    "help.trust.file": {
        _E: "the trusted-sites file (default: ~/.config/xcapki/trusted-origins.json)",
        _Z: "信任網站清單檔（預設 ~/.config/xcapki/trusted-origins.json）",
    },
    "help.serve.install": {
        _E: "start this service at login instead (systemd user unit; launchd agent on macOS)",
        _Z: "改為設定登入時自動啟動本服務（systemd 使用者單元；macOS 為 launchd 代理程式）",
    },
    "help.serve.uninstall": {
        _E: "remove what --install wrote",
        _Z: "移除 --install 所寫入的設定",
    },
    # errors: a summary, a remedy, and the paragraph joining them to the library's detail
    "error.paragraph": {
        _E: "xcapki: {summary}: {detail} (what to do: {remedy})",
        _Z: "xcapki：{summary}：{remedy}（原因：{detail}）",
    },
    "error.interrupted": {_E: "xcapki: interrupted", _Z: "xcapki：已中斷"},
    "summary.internal": {_E: "xcapki failed unexpectedly", _Z: "xcapki 發生未預期的錯誤"},
    "remedy.internal": {
        _E: "run again with --debug and report the traceback",
        _Z: "請加上 --debug 重新執行並回報錯誤訊息",
    },
    "summary.interrupted": {_E: "the command was interrupted", _Z: "指令已中斷"},
    "remedy.interrupted": {
        _E: "run it again; no half-written file was left behind",
        _Z: "請重新執行；未留下任何不完整的檔案",
    },
    "error.internal": {
        _E: "xcapki: internal error ({detail}); run again with --debug and report the traceback",
        _Z: "xcapki：內部錯誤（{detail}）；請加上 --debug 重新執行並回報錯誤訊息",
    },
    "summary.pcsc_library": {_E: "the PC/SC library is missing", _Z: "沒有安裝 PC/SC 讀卡機程式庫"},
    "remedy.pcsc_library": {
        _E: "install xcapki's 'card' extra (pip install 'xcapki[card]') and the PC/SC service"
        " (Debian: apt-get install pcscd libpcsclite1)",
        _Z: "請安裝 xcapki 的「card」額外套件（pip install 'xcapki[card]'）與讀卡機服務（Debian："
        "apt-get install pcscd libpcsclite1）",
    },
    "summary.pcsc_service": {
        _E: "the PC/SC service is not running",
        _Z: "讀卡機服務（PC/SC）沒有執行",
    },
    "remedy.pcsc_service": {
        _E: "start it: sudo systemctl start pcscd (Windows: start the Smart Card service)",
        _Z: "請啟動讀卡機服務：sudo systemctl start pcscd（Windows：啟動 Smart Card 服務）",
    },
    "summary.no_reader": {_E: "no card reader is attached", _Z: "讀卡機沒有裝好"},
    "remedy.no_reader": {
        _E: "plug the reader in and install its driver (most USB readers use CCID, Debian"
        " package libccid); try another USB port",
        _Z: "請接上讀卡機並安裝驅動程式（多數 USB 讀卡機使用 CCID 驅動程式），或換一個 USB"
        " 插槽再試",
    },
    "summary.no_card": {_E: "the card is not inserted", _Z: "IC 卡沒有確實插入"},
    "remedy.no_card": {
        _E: "insert the card chip first and all the way in; if it is in, take it out and"
        " insert it again",
        _Z: "請將 IC 卡晶片端確實插入讀卡機；若已插入，請拔出後重新插入",
    },
    "summary.wait_timeout": {
        _E: "no card was inserted in the time given",
        _Z: "在指定時間內沒有插入卡片",
    },
    "remedy.wait_timeout": {
        _E: "insert the card chip first, or wait longer with --wait SECONDS",
        _Z: "請將 IC 卡晶片端插入讀卡機，或以 --wait 秒數 等候更久",
    },
    "summary.reader": {_E: "the card reader failed", _Z: "讀卡機發生錯誤"},
    "remedy.reader": {
        _E: "re-plug the reader and insert the card again",
        _Z: "請重新接上讀卡機並重新插入 IC 卡",
    },
    "summary.module": {
        _E: "the card component (PKCS#11 module) is missing or does not load",
        _Z: "憑證元件（PKCS#11 模組）沒有安裝或無法載入",
    },
    "remedy.module": {
        _E: "install the card component (HiCOS PKI Smart Card client), or give its path with"
        " --module PATH or XCAPKI_PKCS11_MODULE",
        _Z: "請安裝新憑證元件（HiCOS PKI Smart Card 用戶端），或以 --module 或"
        " XCAPKI_PKCS11_MODULE 指定模組路徑",
    },
    "summary.hicos_missing": {
        _E: "a HiCOS card is inserted but its card component (HiCOS PKCS#11 module) is not"
        " installed",
        _Z: "已插入 HiCOS 卡片，但沒有安裝其憑證元件（HiCOS PKCS#11 模組）",
    },
    "remedy.hicos_missing": {
        _E: "install the HiCOS PKI Smart Card client from {download}; it puts {files} in"
        " {folders} (OpenSC cannot read these cards)",
        _Z: "請從 {download} 下載安裝 HiCOS PKI Smart Card 用戶端，它會將 {files} 安裝到"
        " {folders}（OpenSC 無法讀取此類卡片）",
    },
    "summary.no_token": {_E: "the card component sees no card", _Z: "憑證元件找不到卡片"},
    "remedy.no_token": {
        _E: "insert the card, or choose it with --token SERIAL_OR_LABEL (see xcapki tokens)",
        _Z: "請插入 IC 卡，或以 --token 卡號或標籤 指定卡片（參考 xcapki tokens）",
    },
    "summary.ambiguous_token": {_E: "several cards match", _Z: "有多張卡片符合"},
    "remedy.ambiguous_token": {
        _E: "choose one with --token SERIAL (see xcapki tokens)",
        _Z: "請以 --token 卡號 指定其中一張（參考 xcapki tokens）",
    },
    "summary.no_key": {
        _E: "the card holds no usable signing key",
        _Z: "卡片中沒有可用的簽章金鑰",
    },
    "remedy.no_key": {
        _E: "check the certificates with xcapki certs; the card may not be issued yet",
        _Z: "請以 xcapki certs 檢查卡片憑證；卡片可能尚未發卡",
    },
    "summary.token": {_E: "the card component failed", _Z: "憑證元件發生錯誤"},
    "remedy.token": {
        _E: "take the card out, insert it again and retry; if it persists reinstall the card"
        " component",
        _Z: "請拔出 IC 卡後重新插入再試；若仍失敗請重新安裝憑證元件",
    },
    "summary.pin_locked": {_E: "the PIN is locked", _Z: "PIN 碼已鎖住"},
    "remedy.pin_locked": {
        _E: "only the issuing CA can unlock the card: apply there for unlocking with the card",
        _Z: "只有發卡的憑證管理中心能解鎖，請攜卡向憑證管理中心申請解鎖",
    },
    "summary.final_try": {
        _E: "only one PIN try is left; it was not spent",
        _Z: "PIN 碼只剩最後一次機會，本次沒有使用",
    },
    "remedy.final_try": {
        _E: "make sure of the PIN: one more wrong PIN locks the card",
        _Z: "請確認 PIN 碼正確：再錯一次卡片就會鎖住",
    },
    "summary.pin_incorrect": {
        _E: "the card rejected the PIN (it was not retried)",
        _Z: "PIN 碼錯誤（沒有自動重試）",
    },
    "remedy.pin_incorrect": {
        _E: "check the PIN before trying again: the card locks after 3 wrong PINs",
        _Z: "請確認 PIN 碼後再試：連續輸錯 3 次卡片就會鎖住",
    },
    "summary.pin_format": {
        _E: "the PIN has the wrong form (no try was spent)",
        _Z: "PIN 碼格式不符（沒有耗用嘗試次數）",
    },
    "remedy.pin_format": {
        _E: "type the PIN again, as the reason says the card takes it",
        _Z: "請依原因所述的卡片規定重新輸入 PIN 碼",
    },
    "summary.pin_unavailable": {_E: "no PIN was given", _Z: "沒有取得 PIN 碼"},
    "remedy.pin_unavailable": {
        _E: "run on a terminal to be asked for it, or pass --pin-env VAR",
        _Z: "請在終端機執行以輸入 PIN 碼，或以 --pin-env 變數名稱 提供",
    },
    "summary.pin": {_E: "the PIN was not accepted", _Z: "PIN 碼沒有被接受"},
    "remedy.pin": {
        _E: "check the PIN state with xcapki pin status",
        _Z: "請以 xcapki pin status 檢查 PIN 碼狀態",
    },
    "summary.cms": {
        _E: "the signature file is damaged or not a signature xcapki accepts",
        _Z: "簽章檔已損壞，或不是 xcapki 接受的簽章",
    },
    "remedy.cms": {
        _E: "ask the signer for the .p7s/.p7m file again, as it was written",
        _Z: "請向簽署者重新索取原始的 .p7s／.p7m 簽章檔",
    },
    "summary.not_cms": {
        _E: "the file is not a CMS (PKCS#7) signature",
        _Z: "此檔案不是 CMS（PKCS#7）簽章",
    },
    "remedy.not_cms": {
        _E: "give the signature file (.p7s/.p7m) as SIGNATURE, and the signed document with"
        " --content FILE",
        _Z: "請以簽章檔（.p7s／.p7m）作為 SIGNATURE，並以 --content 指定被簽署的文件",
    },
    "summary.needs_content": {
        _E: "the signature is detached: it does not carry the signed document",
        _Z: "此為分離式簽章，簽章中不含被簽署的文件",
    },
    "remedy.needs_content": {
        _E: "give the signed document with --content FILE",
        _Z: "請以 --content 指定被簽署的文件",
    },
    "summary.too_large": {
        _E: "the signature file is larger than the size limit",
        _Z: "簽章檔超過大小上限",
    },
    "remedy.too_large": {
        _E: "if such large files are expected, raise the limit with --max-size (e.g."
        " --max-size 16G)",
        _Z: "若確實需要驗證這麼大的檔案，請以 --max-size 提高上限（例如 --max-size 16G）",
    },
    "summary.content_mismatch": {
        _E: "the signature was made over other content",
        _Z: "簽章所簽署的內容與提供的文件不同",
    },
    "remedy.content_mismatch": {
        _E: "check that --content names the document that was signed",
        _Z: "請確認 --content 指定的是被簽署的文件",
    },
    "summary.algorithm": {
        _E: "the signature uses an algorithm or key xcapki does not accept",
        _Z: "簽章使用 xcapki 不接受的演算法或金鑰",
    },
    "remedy.algorithm": {
        _E: "ask the signer to sign again with SHA-256 or stronger and a 2048-bit or larger key",
        _Z: "請簽署者改用 SHA-256 以上與 2048 位元以上的金鑰重新簽署",
    },
    "summary.argument": {
        _E: "a value on the command line cannot be used",
        _Z: "命令列上的值無法使用",
    },
    "remedy.argument": {_E: "see xcapki --help", _Z: "請參考 xcapki --help"},
    "argument.usage": {_E: "{usage_error}", _Z: "{usage_error}"},
    "summary.output": {_E: "the output file cannot be written", _Z: "無法寫入輸出檔"},
    "remedy.output": {
        _E: "choose another output name, or add --force to replace an existing file",
        _Z: "請改用其他輸出檔名，或加上 --force 取代既有檔案",
    },
    "remedy.output_name": {
        _E: "choose another output name",
        _Z: "請改用其他輸出檔名",
    },
    "remedy.output_folder": {
        _E: "write the output into a folder that exists and that you may write in",
        _Z: "請將輸出檔寫到已存在且您有寫入權限的資料夾",
    },
    "remedy.output_space": {
        _E: "free space on that disk, or write the output to another folder",
        _Z: "請清出磁碟空間，或將輸出檔寫到其他資料夾",
    },
    "summary.extra": {
        _E: "this installation lacks a part the command needs",
        _Z: "此安裝缺少指令所需的元件",
    },
    "remedy.extra": {
        _E: "install it: pip install 'xcapki[{extra}]' (from a clone: pip install -e '.[{extra}]')",
        _Z: "請執行：pip install 'xcapki[{extra}]'（從原始碼安裝：pip install -e '.[{extra}]'）",
    },
    "summary.certificate": {_E: "a certificate cannot be read", _Z: "無法讀取憑證"},
    "remedy.certificate": {
        _E: "give certificates as PEM or DER files",
        _Z: "請提供 PEM 或 DER 格式的憑證檔",
    },
    "remedy.certificate_file": {
        _E: "give the CA's certificate file (PEM or DER) with --trust-root or --intermediate",
        _Z: "請以 --trust-root 或 --intermediate 指定憑證管理中心的憑證檔（PEM 或 DER）",
    },
    "summary.trust_store": {_E: "the trust anchors cannot be loaded", _Z: "無法載入信任的根憑證"},
    "remedy.trust_store": {
        _E: "reinstall xcapki, or give roots with --trust-root PEM",
        _Z: "請重新安裝 xcapki，或以 --trust-root 指定根憑證",
    },
    "summary.revoked": {_E: "the certificate is revoked", _Z: "憑證已被廢止"},
    "remedy.revoked": {
        _E: "apply to the CA for a new certificate",
        _Z: "請向憑證管理中心申請新憑證",
    },
    "summary.revocation": {
        _E: "the revocation status could not be established",
        _Z: "無法確認憑證廢止狀態",
    },
    "remedy.revocation": {
        _E: "check the network and proxy settings, or choose --revocation soft",
        _Z: "請檢查網路與 Proxy 設定，或改用 --revocation soft",
    },
    "summary.untrusted": {_E: "the certificate is not trusted", _Z: "憑證不受信任"},
    "remedy.untrusted": {
        _E: "it must chain to GRCA, or to a root given with --trust-root",
        _Z: "憑證必須串接到政府憑證總管理中心（GRCA），或以 --trust-root 指定的根憑證",
    },
    "summary.crypto": {_E: "a cryptographic check failed", _Z: "密碼學檢查失敗"},
    "remedy.crypto": {_E: "see the detail", _Z: "請參考原因說明"},
    "summary.decrypt": {
        _E: "the file cannot be decrypted with this card",
        _Z: "無法以這張卡片解密此檔案",
    },
    "remedy.decrypt": {
        _E: "check that it was encrypted to this card's encryption certificate (xcapki certs"
        " shows it) and arrived whole; otherwise ask the sender to encrypt it again",
        _Z: "請確認檔案是以這張卡片的加密憑證加密（可用 xcapki certs 查看）且傳送完整；"
        "否則請寄件者重新加密",
    },
    "summary.recipient": {
        _E: "the certificate cannot receive encrypted files",
        _Z: "此憑證無法用於加密",
    },
    "remedy.recipient": {
        _E: "give the recipient's RSA encryption certificate (on a card: cert2, KEYX)",
        _Z: "請使用收件者的 RSA 加密憑證（卡片中的 cert2，KEYX）",
    },
    "summary.input": {_E: "an input file cannot be used", _Z: "輸入檔案無法使用"},
    "remedy.input": {_E: "check the path and the file", _Z: "請檢查檔案路徑與內容"},
    "summary.service": {_E: "the signing service cannot run", _Z: "本機簽章服務無法執行"},
    "remedy.service": {
        _E: "see the detail; xcapki doctor checks the port",
        _Z: "請參考原因說明；xcapki doctor 會檢查連接埠",
    },
    "summary.demo_setup": {
        _E: "the demo cannot start its card, test PKI, service or portal",
        _Z: "示範環境無法啟動卡片、測試 PKI、本機簽章服務或入口網",
    },
    "remedy.demo_setup": {
        _E: "see the detail, which names the port or file; xcapki doctor checks the service port",
        _Z: "請參考原因說明（會指出連接埠或檔案）；xcapki doctor 會檢查本機簽章服務連接埠",
    },
    "summary.testing": {_E: "the virtual card cannot be made", _Z: "無法建立虛擬卡片"},
    "remedy.testing": {
        _E: "see the detail; virtual cards need softhsm2 and opensc (Debian packages)",
        _Z: "請參考原因說明；虛擬卡片需要 softhsm2 與 opensc（Debian 套件）",
    },
    "summary.other": {_E: "the operation failed", _Z: "作業失敗"},
    "remedy.other": {_E: "see the detail", _Z: "請參考原因說明"},
    # prompts and progress (stderr)
    "prompt.pin": {_E: "PIN for {token}: ", _Z: "請輸入 {token} 的 PIN 碼："},
    "prompt.old_pin": {_E: "Current PIN for {token}: ", _Z: "請輸入 {token} 目前的 PIN 碼："},
    "prompt.new_pin": {_E: "New PIN: ", _Z: "請輸入新 PIN 碼："},
    "prompt.new_pin_again": {_E: "New PIN again: ", _Z: "請再輸入一次新 PIN 碼："},
    "error.new_pins_differ": {
        _E: "the two new PINs differ; nothing was changed",
        _Z: "兩次輸入的新 PIN 碼不同，未做任何變更",
    },
    "progress.module": {_E: "Card component: {path}", _Z: "憑證元件：{path}"},
    "progress.login": {_E: "Logging in to {token}…", _Z: "登入卡片 {token}…"},
    "progress.sign": {_E: "Signing with {label}…", _Z: "以 {label} 簽章中…"},
    "progress.validate": {
        _E: "Checking the certificate path and revocation…",
        _Z: "檢查憑證路徑與廢止狀態…",
    },
    "progress.check": {_E: "Checking: {name}…", _Z: "檢查：{name}…"},
    "progress.bar.decrypt": {_E: "Decrypting", _Z: "解密中"},
    "progress.bar.encrypt": {_E: "Encrypting", _Z: "加密中"},
    "progress.bar.sign": {_E: "Signing", _Z: "簽章中"},
    "progress.bar.verify": {_E: "Verifying", _Z: "驗證中"},
    "progress.pki_create": {_E: "Creating a test PKI in {path}…", _Z: "在 {path} 建立測試 PKI…"},
    "progress.pki_reuse": {_E: "Using the test PKI in {path}", _Z: "使用 {path} 中的測試 PKI"},
    "progress.card_create": {
        _E: "Making a SoftHSM2 virtual card ({authority})…",
        _Z: "建立 SoftHSM2 虛擬卡片（{authority}）…",
    },
    # words shared by several commands
    "yes": {_E: "yes", _Z: "是"},
    "no": {_E: "no", _Z: "否"},
    "none": {_E: "none", _Z: "無"},
    "pin_state.ok": {_E: "ok", _Z: "正常"},
    "pin_state.count-low": {_E: "tries running low", _Z: "嘗試次數偏低"},
    "pin_state.final-try": {_E: "final try", _Z: "僅剩最後一次"},
    "pin_state.locked": {_E: "locked", _Z: "已鎖住"},
    "pin_state.to-be-changed": {_E: "must be changed", _Z: "需要變更"},
    "pin_state.not-initialized": {_E: "not set", _Z: "尚未設定"},
    "presence.ABSENT": {_E: "no card", _Z: "沒有卡片"},
    "presence.PRESENT": {_E: "card present", _Z: "有卡片"},
    "presence.IN_USE": {_E: "card present, in use", _Z: "有卡片，使用中"},
    "presence.EXCLUSIVE": {
        _E: "card present, held by another program",
        _Z: "有卡片，被其他程式占用",
    },
    "presence.MUTE": {_E: "card present but silent", _Z: "有卡片但沒有回應"},
    "presence.UNAVAILABLE": {_E: "reader unavailable", _Z: "讀卡機無法使用"},
    "field.line": {_E: "{indent}{name}: {value}", _Z: "{indent}{name}：{value}"},
    "field.reader": {_E: "reader", _Z: "讀卡機"},
    "field.atr": {_E: "ATR", _Z: "ATR"},
    "field.card": {_E: "card", _Z: "卡片"},
    "field.label": {_E: "label", _Z: "標籤"},
    "field.serial": {_E: "serial", _Z: "卡號"},
    "field.manufacturer": {_E: "manufacturer", _Z: "製造商"},
    "field.pin": {_E: "PIN", _Z: "PIN 碼"},
    "field.pin_length": {_E: "PIN length", _Z: "PIN 碼長度"},
    "field.pin_pad": {_E: "PIN pad", _Z: "PIN 輸入器"},
    "field.module": {_E: "module", _Z: "模組"},
    "field.initialised": {_E: "initialised", _Z: "已初始化"},
    "field.subject": {_E: "subject", _Z: "主體"},
    "field.issuer": {_E: "issuer", _Z: "簽發者"},
    "field.authority": {_E: "authority", _Z: "憑證管理中心"},
    "field.organisation": {_E: "organisation", _Z: "機關／組織名稱"},
    "field.ubn": {_E: "unified business number (統一編號)", _Z: "統一編號"},
    "field.organisation_oid": {_E: "organisation OID", _Z: "機關 OID"},
    "field.subject_class": {_E: "subject class", _Z: "主體類別"},
    "field.card_serial": {_E: "card serial", _Z: "卡號"},
    "field.validity": {_E: "valid", _Z: "有效期間"},
    "field.validity_value": {
        _E: "{not_before} to {not_after} ({days} days left)",
        _Z: "{not_before} 至 {not_after}（剩 {days} 天）",
    },
    "field.purpose": {_E: "purpose", _Z: "用途"},
    "field.key": {_E: "private key", _Z: "私密金鑰"},
    "field.fingerprint": {_E: "SHA-256 fingerprint", _Z: "SHA-256 指紋"},
    "field.intact": {_E: "intact", _Z: "簽章完整"},
    "field.trusted": {_E: "trusted", _Z: "受信任"},
    "field.revocation": {_E: "revocation", _Z: "廢止狀態"},
    "field.signer": {_E: "signer", _Z: "簽署者"},
    "field.signing_time": {_E: "signing time", _Z: "簽章時間"},
    "field.failure": {_E: "reason", _Z: "原因"},
    "field.chain": {_E: "path", _Z: "憑證路徑"},
    "field.remedy": {_E: "what to do", _Z: "處理方式"},
    "field.content": {_E: "content", _Z: "原文"},
    "purpose.signing": {_E: "signing", _Z: "簽章"},
    "purpose.encryption": {_E: "encryption", _Z: "加密"},
    "purpose.signing-and-encryption": {_E: "signing and encryption", _Z: "簽章與加密"},
    "purpose.certificate-authority": {_E: "CA certificate", _Z: "CA 憑證"},
    "purpose.unspecified": {_E: "unspecified", _Z: "未指定"},
    "revocation.good": {_E: "not revoked", _Z: "未廢止"},
    "revocation.revoked": {_E: "REVOKED", _Z: "已廢止"},
    "revocation.unknown": {_E: "unknown to the CA", _Z: "憑證管理中心不認得此憑證"},
    "revocation.unavailable": {_E: "no answer", _Z: "無法取得"},
    "revocation.not-checked": {_E: "not checked", _Z: "未檢查"},
    # files named on the command line
    "file.unreadable": {_E: "cannot read {path}: {reason}", _Z: "無法讀取 {path}：{reason}"},
    "file.is_folder": {
        _E: "{path} is a folder; give a file",
        _Z: "{path} 是資料夾，請指定檔案",
    },
    "file.pem_too_large": {
        _E: "{path} is a PEM signature too large to decode; convert it to DER first"
        " (openssl cms -cmsout -inform PEM -outform DER)",
        _Z: "{path} 是過大的 PEM 簽章，請先轉為 DER（openssl cms -cmsout -inform PEM"
        " -outform DER）",
    },
    "file.pem_damaged": {
        _E: "{path} looks like PEM but its base64 body is damaged",
        _Z: "{path} 看似 PEM 格式，但其 base64 內容已損壞",
    },
    "file.certificate_not_signature": {
        _E: "{path} is a certificate, not a signature",
        _Z: "{path} 是憑證，不是簽章",
    },
    "file.not_certificate": {
        _E: "{path} is not a certificate (PEM or DER)",
        _Z: "{path} 不是憑證（PEM 或 DER）",
    },
    "file.pdf_not_regular": {
        _E: "{path} is no regular file, and a PDF is read more than once: save it to a file first",
        _Z: "{path} 不是一般檔案，而 PDF 須讀取多次：請先存成檔案",
    },
    "output.is_folder": {
        _E: "{path} is a folder; give a file name",
        _Z: "{path} 是資料夾，請指定檔名",
    },
    "output.not_regular": {
        _E: "{path} is a device or a pipe, not a file; the output is written to a file whole",
        _Z: "{path} 是裝置或管道而非檔案；輸出只會完整寫入檔案",
    },
    "output.no_folder": {
        _E: "the folder {folder} of {path} does not exist",
        _Z: "{path} 所在的資料夾 {folder} 不存在",
    },
    "output.folder_read_only": {
        _E: "cannot write in {folder}",
        _Z: "無法寫入資料夾 {folder}",
    },
    "output.is_input": {
        _E: "{path} is the input file; writing it would destroy the input",
        _Z: "{path} 就是輸入檔，寫入會毀損輸入檔",
    },
    "output.exists": {
        _E: "{path} already exists",
        _Z: "{path} 已存在",
    },
    "output.failed": {
        _E: "cannot write {path}: {reason}; nothing was left behind",
        _Z: "無法寫入 {path}：{reason}；未留下任何不完整的檔案",
    },
    "extra.missing": {
        _E: "xcapki {command} needs the '{extra}' extra ({module} is not installed)",
        _Z: "xcapki {command} 需要額外套件「{extra}」（未安裝 {module}）",
    },
    # readers / tokens / certs
    "readers.line": {_E: "{reader}: {presence}", _Z: "{reader}：{presence}"},
    "token.describe": {
        _E: "{label!r} serial {serial} in {reader}",
        _Z: "{label!r}（卡號 {serial}，位於 {reader}）",
    },
    "revocation.source.ocsp": {_E: "OCSP", _Z: "OCSP"},
    "revocation.source.crl": {_E: "CRL", _Z: "CRL"},
    "revocation.source.none": {_E: "no source", _Z: "無來源"},
    "tokens.none": {_E: "no token", _Z: "沒有卡片"},
    "tokens.line": {
        _E: "{label!r} serial {serial} in {reader}: PIN {pin_state}",
        _Z: "{label!r} 卡號 {serial}，位於 {reader}：PIN 碼{pin_state}",
    },
    "tokens.uninitialised": {
        _E: "(empty slot) in {reader}: not initialised",
        _Z: "（空插槽）位於 {reader}：尚未初始化",
    },
    "certs.none": {_E: "the card holds no certificate", _Z: "卡片中沒有憑證"},
    "certs.exported": {_E: "Wrote {path}: {subject}.", _Z: "已寫入 {path}：{subject}。"},
    "certs.none_of_purpose": {
        _E: "the card holds no {purpose} certificate",
        _Z: "卡片中沒有 {purpose} 用途的憑證",
    },
    "readers.waiting": {
        _E: "Waiting for a card to be inserted (Ctrl-C stops)…",
        _Z: "等候插入卡片（按 Ctrl-C 停止）…",
    },
    "certs.heading": {_E: "{label} ({purpose})", _Z: "{label}（{purpose}）"},
    # pin
    "pin.status": {_E: "{token}: PIN {pin_state}", _Z: "{token}：PIN 碼{pin_state}"},
    "pin.changed": {_E: "The PIN of {token} was changed.", _Z: "{token} 的 PIN 碼已變更。"},
    # sign / verify
    "sign.done": {
        _E: "Wrote {path}: {shape} CMS signature, {hash}, {size} bytes, signed by {signer}.",
        _Z: "已寫入 {path}：{shape} CMS 簽章，{hash}，{size} 位元組，簽署者 {signer}。",
    },
    # encrypt / decrypt
    "encrypt.done": {
        _E: "Wrote {path}: CMS envelope ({cipher}), {size} bytes, for {recipient}.",
        _Z: "已寫入 {path}：CMS 加密信封（{cipher}），{size} 位元組，收件者 {recipient}。",
    },
    "decrypt.done": {
        _E: "Wrote {path}: {size} bytes decrypted ({cipher}); {integrity}.",
        _Z: "已寫入 {path}：解密 {size} 位元組（{cipher}）；{integrity}。",
    },
    "decrypt.authenticated": {
        _E: "the content is unchanged since it was encrypted",
        _Z: "內容自加密後未被更動",
    },
    "decrypt.unauthenticated": {
        _E: "this cipher does not prove the content unchanged; verify a signature over it if"
        " that matters",
        _Z: "此加密方式無法證明內容未被更動；如有需要，請另行驗證其簽章",
    },
    "progress.decrypt": {_E: "Decrypting with {label}…", _Z: "以 {label} 解密中…"},
    "sign.attached": {_E: "attached", _Z: "內含原文"},
    "sign.detached": {_E: "detached", _Z: "分離式"},
    "verify.ok": {
        _E: "VALID: the signature is intact, trusted and not revoked.",
        _Z: "驗證通過：簽章完整、憑證受信任且未被廢止。",
    },
    "verify.ok_not_checked": {
        _E: "VALID: the signature is intact and trusted; revocation was not checked"
        " (--revocation off).",
        _Z: "驗證通過：簽章完整且憑證受信任；未檢查廢止狀態（--revocation off）。",
    },
    "verify.ok_unconfirmed": {
        _E: "VALID: the signature is intact and trusted; the revocation status could not be"
        " confirmed ({state}).",
        _Z: "驗證通過：簽章完整且憑證受信任；無法確認廢止狀態（{state}）。",
    },
    "verify.unusable": {_E: "CANNOT VERIFY: {summary}.", _Z: "無法驗證：{summary}。"},
    "verify.out.kept": {_E: "written to {path}", _Z: "已寫入 {path}"},
    "verify.out.dropped": {
        _E: "not written to {path}: the signature is not intact",
        _Z: "簽章不完整，未寫入 {path}",
    },
    "verify.not_intact": {
        _E: "INVALID: the signature is not intact (the content or signature was altered).",
        _Z: "驗證失敗：簽章不完整（原文或簽章遭到變更）。",
    },
    "verify.untrusted": {
        _E: "NOT TRUSTED: the signature is intact but its signer is not trusted.",
        _Z: "不受信任：簽章完整，但簽署者憑證不受信任。",
    },
    "verify.revoked": {
        _E: "REVOKED: the signature is intact but the signer's certificate is revoked.",
        _Z: "已廢止：簽章完整，但簽署者憑證已被廢止。",
    },
    "verify.revocation_unavailable": {
        _E: "UNDECIDED: the signature is intact but the revocation status is unavailable.",
        _Z: "無法判定：簽章完整，但無法取得廢止狀態。",
    },
    # selftest (驗簽測試)
    "selftest.step.token": {_E: "Card found", _Z: "找到卡片"},
    "selftest.step.pin": {_E: "PIN accepted", _Z: "PIN 碼驗證"},
    "selftest.step.sign": {_E: "Signed a random challenge", _Z: "簽署隨機挑戰值"},
    "selftest.step.verify": {_E: "Signature verifies", _Z: "驗證簽章"},
    "selftest.step.path": {_E: "Certificate path", _Z: "憑證路徑"},
    "selftest.step.revocation": {_E: "Revocation", _Z: "廢止狀態"},
    "selftest.works": {
        _E: "The card works: it signed with {label} and the signature verified to {anchor}.",
        _Z: "卡片正常：已用 {label} 簽章，且簽章驗證通過並串接到 {anchor}。",
    },
    "selftest.broken": {
        _E: "The card does NOT work: {reason}",
        _Z: "卡片無法正常使用：{reason}",
    },
    "selftest.stop_reason": {_E: "{summary} ({detail})", _Z: "{summary}（{detail}）"},
    "selftest.failed.card": {
        _E: "The card does NOT work: {reason}",
        _Z: "卡片無法正常使用：{reason}",
    },
    "selftest.failed.trust": {
        _E: "The card works (it signed and the signature is intact), but this computer's trust"
        " configuration does not accept its certificate: {reason}. Give the CA's root with"
        " --trust-root PEM (and a missing CA certificate with --intermediate PEM).",
        _Z: "卡片正常（已簽章且簽章完整），但本機的信任設定不接受其憑證：{reason}。請以"
        " --trust-root 指定憑證管理中心的根憑證（缺少的 CA 憑證以 --intermediate 指定）。",
    },
    "selftest.failed.revocation": {
        _E: "The card works (it signed and the signature is intact), but its revocation status"
        " could not be checked: {reason}. Check the network and proxy, or choose --revocation"
        " soft.",
        _Z: "卡片正常（已簽章且簽章完整），但無法檢查憑證廢止狀態：{reason}。請檢查網路與"
        " Proxy 設定，或改用 --revocation soft。",
    },
    "selftest.not_tested": {
        _E: "The card was not tested: {reason}",
        _Z: "卡片未完成測試：{reason}",
    },
    # doctor: verdict tags and the checks in order
    "verdict.pass": {_E: "[ OK ]", _Z: "[正常]"},
    "verdict.warn": {_E: "[WARN]", _Z: "[注意]"},
    "verdict.fail": {_E: "[FAIL]", _Z: "[失敗]"},
    "verdict.skip": {_E: "[SKIP]", _Z: "[略過]"},
    "doctor.line": {_E: "{tag} {name}{where}: {message}", _Z: "{tag} {name}{where}：{message}"},
    "selftest.line": {_E: "{tag} {name}: {detail}", _Z: "{tag} {name}：{detail}"},
    "doctor.failure": {_E: "{summary}: {detail}", _Z: "{summary}：{detail}"},
    "doctor.remedy": {_E: "       remedy: {remedy}", _Z: "       處理方式：{remedy}"},
    "doctor.question": {_E: " (manual {question})", _Z: "（手冊 {question}）"},
    "doctor.summary.ok": {
        _E: "No problem found{warnings}.",
        _Z: "沒有發現問題{warnings}。",
    },
    "doctor.summary.warnings": {_E: " ({count} warning(s))", _Z: "（{count} 項注意）"},
    "doctor.summary.failed": {
        _E: "{count} check(s) failed; fix the first one first.",
        _Z: "{count} 項檢查失敗，請先處理第一項。",
    },
    "check.pcsc_service": {_E: "PC/SC service", _Z: "讀卡機服務（PC/SC）"},
    "check.readers": {_E: "Card reader", _Z: "讀卡機"},
    "check.card_present": {_E: "Card inserted", _Z: "IC 卡插入"},
    "check.card_atr": {_E: "Card type (ATR)", _Z: "卡片類型（ATR）"},
    "check.pkcs11_module": {_E: "Card component (PKCS#11 module)", _Z: "憑證元件（PKCS#11 模組）"},
    "check.token": {_E: "Card seen by the component", _Z: "元件偵測到卡片"},
    "check.pin_state": {_E: "PIN state", _Z: "PIN 碼狀態"},
    "check.signing_certificate": {_E: "Signing certificate", _Z: "簽章憑證"},
    "check.encryption_certificate": {_E: "Encryption certificate", _Z: "加密憑證"},
    "check.chain": {_E: "Certificate path", _Z: "憑證路徑"},
    "check.revocation": {_E: "Revocation (OCSP/CRL)", _Z: "廢止狀態（OCSP/CRL）"},
    "check.proxy": {_E: "Proxy settings", _Z: "Proxy 設定"},
    "check.portal_dns": {_E: "Portal name (DNS)", _Z: "入口網名稱解析（DNS）"},
    "check.portal_tls": {_E: "Portal connection (TLS)", _Z: "入口網連線（TLS）"},
    "check.service_port": {_E: "Local signing service port", _Z: "本機簽章服務連接埠"},
    "skip.no_pcsc": {
        _E: "skipped (--no-pcsc: software token, no reader)",
        _Z: "略過（--no-pcsc：軟體卡片，沒有讀卡機）",
    },
    "skip.after": {_E: "skipped: {failed} did not pass", _Z: "略過：{failed}未通過"},
    "skip.revocation_off": {_E: "skipped (--revocation off)", _Z: "略過（--revocation off）"},
    "skip.offline": {_E: "skipped (--offline)", _Z: "略過（--offline）"},
    "doctor.pcsc.running": {_E: "running", _Z: "執行中"},
    "doctor.readers.found": {_E: "{count}: {names}", _Z: "{count} 台：{names}"},
    "doctor.card.present": {_E: "card in {reader}", _Z: "{reader} 中有卡片"},
    "doctor.card.mute": {
        _E: "the card in {reader} does not answer",
        _Z: "{reader} 中的卡片沒有回應",
    },
    "doctor.card.mute.remedy": {
        _E: "take the card out, clean the chip and insert it again; try another reader",
        _Z: "請拔出 IC 卡、擦拭晶片後重新插入，或換一台讀卡機",
    },
    "doctor.atr.known": {_E: "{description} (ATR {atr})", _Z: "{description}（ATR {atr}）"},
    "doctor.atr.unknown": {
        _E: "card not recognised (ATR {atr})",
        _Z: "無法辨識的卡片（ATR {atr}）",
    },
    "doctor.atr.unknown.remedy": {
        _E: "check that this is a GPKI card (XCA, GCA, MOICA or MOEACA); other ATRs are not"
        " known to xcapki yet",
        _Z: "請確認這是政府憑證卡片（組織及團體、政府、自然人或工商憑證）",
    },
    "doctor.atr.none": {_E: "the card gave no ATR", _Z: "卡片沒有回傳 ATR"},
    "doctor.module.loaded": {
        _E: "{path} ({manufacturer}, {description})",
        _Z: "{path}（{manufacturer}，{description}）",
    },
    "doctor.token.found": {_E: "{token}", _Z: "{token}"},
    "doctor.pin.ok": {_E: "ok ({low} to {high} characters)", _Z: "正常（{low} 至 {high} 碼）"},
    "doctor.pin.count_low": {
        _E: "a wrong PIN was entered before: tries are running low",
        _Z: "先前曾輸入錯誤的 PIN 碼，剩餘嘗試次數偏低",
    },
    "doctor.pin.count_low.remedy": {
        _E: "make sure of the PIN before the next try: the card locks after 3 wrong PINs",
        _Z: "下次輸入前請確認 PIN 碼：連續輸錯 3 次卡片就會鎖住",
    },
    "doctor.pin.final_try": {
        _E: "only ONE try is left before the card locks",
        _Z: "只剩最後一次機會，再錯卡片就會鎖住",
    },
    "doctor.pin.final_try.remedy": {
        _E: "enter the PIN only when sure of it; if it is forgotten, ask the issuing CA",
        _Z: "確定 PIN 碼正確時才輸入；忘記 PIN 碼請洽發卡的憑證管理中心",
    },
    "doctor.pin.locked": {_E: "the PIN is locked", _Z: "PIN 碼已鎖住"},
    "doctor.pin.to_be_changed": {_E: "the PIN must be changed", _Z: "PIN 碼需要變更"},
    "doctor.pin.to_be_changed.remedy": {
        _E: "run: xcapki pin change",
        _Z: "請執行：xcapki pin change",
    },
    "doctor.pin.not_initialized": {_E: "the card has no PIN set", _Z: "卡片尚未設定 PIN 碼"},
    "doctor.pin.not_initialized.remedy": {
        _E: "the card is not issued; contact the CA",
        _Z: "卡片尚未發卡，請洽憑證管理中心",
    },
    "doctor.cert.ok": {
        _E: "{subject}, valid until {not_after} ({days} days left)",
        _Z: "{subject}，有效至 {not_after}（剩 {days} 天）",
    },
    "doctor.cert.expiring": {
        _E: "{subject} expires in {days} days ({not_after})",
        _Z: "{subject} 將於 {days} 天後到期（{not_after}）",
    },
    "doctor.cert.expiring.remedy": {
        _E: "renew the certificate before it expires",
        _Z: "請在到期前辦理憑證展期",
    },
    "doctor.cert.expired": {
        _E: "{subject} expired on {not_after}",
        _Z: "{subject} 已於 {not_after} 到期",
    },
    "doctor.cert.expired.remedy": {
        _E: "apply to the CA for a new certificate: an expired one cannot sign or log in",
        _Z: "請向憑證管理中心申請新憑證：過期憑證無法簽章或登入",
    },
    "doctor.cert.not_yet_valid": {
        _E: "{subject} is not valid before {not_before}",
        _Z: "{subject} 在 {not_before} 之前尚未生效",
    },
    "doctor.cert.not_yet_valid.remedy": {
        _E: "check the computer's date and time",
        _Z: "請檢查電腦的日期與時間",
    },
    "doctor.cert.missing": {_E: "the card holds none", _Z: "卡片中沒有此憑證"},
    "doctor.cert.missing.remedy": {
        _E: "the card may be damaged or not fully issued; contact the CA",
        _Z: "卡片可能損壞或尚未完成發卡，請洽憑證管理中心",
    },
    "doctor.chain.ok": {_E: "chains to {anchor}", _Z: "串接到 {anchor}"},
    "doctor.chain.missing_intermediate": {
        _E: "an intermediate CA certificate is missing: {detail}",
        _Z: "缺少中繼 CA 憑證：{detail}",
    },
    "doctor.chain.missing_intermediate.remedy": {
        _E: "give the CA certificate with --intermediate PEM",
        _Z: "請以 --intermediate 指定 CA 憑證",
    },
    "doctor.chain.too_many_helpers": {
        _E: (
            "the card holds {count} CA certificates the trust store lacks, up to {most} under"
            " one name; a path is built from at most {limit}, {per_name} per name"
        ),
        _Z: (
            "卡片存有 {count} 張信任清單沒有的 CA 憑證，同一名稱最多 {most} 張；建立憑證路徑"
            "最多只用 {limit} 張，同一名稱 {per_name} 張"
        ),
    },
    "doctor.chain.too_many_helpers.remedy": {
        _E: (
            "give the card's issuing CA certificate (from its authority's repository) with"
            " --intermediate PEM: the path is then built from it, without the card's copies"
        ),
        _Z: (
            "請自憑證管理中心的儲存庫下載簽發此卡的 CA 憑證，以 --intermediate 指定；"
            "憑證路徑即改用該憑證建立，不再使用卡片上的副本"
        ),
    },
    "doctor.chain.failed": {_E: "{detail}", _Z: "{detail}"},
    "doctor.revocation.ok": {
        _E: "{state} ({source}); asked {endpoints}",
        _Z: "{state}（{source}）；查詢 {endpoints}",
    },
    "doctor.revocation.revoked": {
        _E: "the certificate was revoked ({reason}) on {when}",
        _Z: "憑證已於 {when} 被廢止（{reason}）",
    },
    "doctor.revocation.unreachable": {
        _E: "no answer from {endpoints}: {detail}",
        _Z: "{endpoints} 沒有回應：{detail}",
    },
    "doctor.revocation.unreachable.remedy": {
        _E: "check the network and proxy settings; allow HTTP to these addresses",
        _Z: "請檢查網路與 Proxy 設定，並允許連線到上述位址",
    },
    "doctor.revocation.none": {_E: "the certificate names no endpoint", _Z: "憑證沒有列出查詢位址"},
    "doctor.proxy.none": {
        _E: "no proxy variables: direct connection",
        _Z: "沒有設定 Proxy：直接連線",
    },
    "doctor.proxy.set": {_E: "{variables}", _Z: "{variables}"},
    "doctor.proxy.invalid": {
        _E: "{variable} is not a proxy URL: {value}",
        _Z: "{variable} 不是有效的 Proxy 網址：{value}",
    },
    "doctor.proxy.invalid.remedy": {
        _E: "set it as http://host:port, or unset it",
        _Z: "請設定為 http://主機:連接埠，或移除此設定",
    },
    "doctor.dns.ok": {_E: "{host} is {addresses}", _Z: "{host} 解析為 {addresses}"},
    "doctor.dns.via_proxy": {
        _E: "{host} is resolved by the proxy; the proxy {proxy} is {addresses}",
        _Z: "{host} 由 Proxy 解析；Proxy {proxy} 解析為 {addresses}",
    },
    "doctor.dns.failed": {
        _E: "{host} cannot be resolved: {detail}",
        _Z: "無法解析 {host}：{detail}",
    },
    "doctor.dns.failed.remedy": {
        _E: "check the network connection and DNS settings; behind a proxy set HTTPS_PROXY",
        _Z: "請檢查網路連線與 DNS 設定；若須經由 Proxy 請設定 HTTPS_PROXY",
    },
    "doctor.tls.ok": {_E: "{url} answered HTTP {status}", _Z: "{url} 回應 HTTP {status}"},
    "doctor.tls.handshake": {
        _E: "the TLS handshake with {host} failed: {detail}",
        _Z: "與 {host} 的 TLS 交握失敗：{detail}",
    },
    "doctor.tls.handshake.remedy": {
        _E: "check the computer's date and time, and whether a proxy or antivirus intercepts HTTPS",
        _Z: "請檢查電腦日期時間，以及 Proxy 或防毒軟體是否攔截 HTTPS",
    },
    "doctor.tls.connect": {
        _E: "cannot connect to {url}: {detail}",
        _Z: "無法連線到 {url}：{detail}",
    },
    "doctor.tls.connect.remedy": {
        _E: "check the firewall and the proxy settings (HTTPS_PROXY, NO_PROXY)",
        _Z: "請檢查防火牆與 Proxy 設定（HTTPS_PROXY、NO_PROXY）",
    },
    "doctor.tls.proxy": {
        _E: "the proxy {proxy} failed: {detail}",
        _Z: "Proxy {proxy} 連線失敗：{detail}",
    },
    "doctor.tls.proxy.remedy": {
        _E: "check HTTPS_PROXY / HTTP_PROXY, or ask the network administrator",
        _Z: "請檢查 HTTPS_PROXY／HTTP_PROXY，或洽網路管理人員",
    },
    "doctor.port.free": {_E: "port {port} is free", _Z: "連接埠 {port} 未被使用"},
    "doctor.port.signing_service": {
        _E: "port {port} is used by a HiPKI-compatible signing service ({banner})",
        _Z: "連接埠 {port} 已由相容 HiPKI 的簽章服務使用（{banner}）",
    },
    "doctor.port.signing_service.remedy": {
        _E: "stop the other component (e.g. the HiPKI local server) before xcapki serve, or"
        " serve on another --port",
        _Z: "執行 xcapki serve 前請先停止其他元件（例如 HiPKI 本機服務），或改用其他 --port",
    },
    "doctor.port.taken": {
        _E: "port {port} is taken by another program",
        _Z: "連接埠 {port} 被其他程式占用",
    },
    "doctor.port.taken.remedy": {
        _E: "find it with: ss -ltnp 'sport = :{port}', and stop it, or serve on another --port",
        _Z: "請以 ss -ltnp 'sport = :{port}' 找出並停止該程式，或改用其他 --port",
    },
    # doctor: Chromium's Local Network Access (browser_checks.py)
    "check.local_network_access": {
        _E: "Browser access to the local service",
        _Z: "瀏覽器連到本機服務",
    },
    "doctor.lna.not_enforced": {
        _E: "no Chrome, Chromium or Edge that restricts local network access was found",
        _Z: "沒有找到會限制連到本機服務的 Chrome、Chromium 或 Edge",
    },
    "doctor.lna.allowed": {
        _E: "{browsers}: a managed policy lets {portal} reach the local service",
        _Z: "{browsers}：管理政策已允許 {portal} 連到本機服務",
    },
    "doctor.lna.https": {
        _E: "in {browsers}, {portal} needs your permission to reach the local service: press"
        " Allow when the browser asks about devices on your local network",
        _Z: "在 {browsers} 中，{portal} 需要您允許才能連到本機服務：瀏覽器詢問區域網路裝置時"
        "請按「允許」",
    },
    "doctor.lna.http": {
        _E: "in {browsers}, the plain-http page {portal} cannot reach the local service (its"
        " component check fails; popups still work)",
        _Z: "在 {browsers} 中，http 網頁 {portal} 無法連到本機服務（元件檢查會失敗；"
        "彈出視窗仍可使用）",
    },
    "doctor.lna.remedy": {
        _E: "allow the site in the browser's site settings (Local network access), or have an"
        " administrator list it in the LocalNetworkAccessAllowedForUrls policy (see"
        " docs/service.md)",
        _Z: "請在瀏覽器的網站設定中允許「區域網路存取」，或請管理者將網站加入"
        " LocalNetworkAccessAllowedForUrls 政策（參考 docs/service.md）",
    },
    # PDF (PAdES) sign / verify
    "summary.pdf_format": {
        _E: "the PDF is damaged or its signatures are laid out to deceive",
        _Z: "PDF 檔案損壞，或簽章的配置有偽造跡象",
    },
    "remedy.pdf_format": {
        _E: "do not trust this file; ask the sender for the original signed PDF",
        _Z: "請勿信任此檔案，並向寄件者索取原始的已簽章 PDF",
    },
    "summary.pdf_usage": {
        _E: "the PDF signing options cannot work",
        _Z: "PDF 簽章選項無法使用",
    },
    "remedy.pdf_usage": {
        _E: "check the page, box, font, level and TSA options (xcapki sign --help)",
        _Z: "請檢查頁碼、位置、字型、等級與時戳服務選項（xcapki sign --help）",
    },
    "summary.pdf_signing": {
        _E: "the PDF could not be signed; no file was written",
        _Z: "PDF 簽章未完成，沒有寫入任何檔案",
    },
    "remedy.pdf_signing": {
        _E: "check the network to the OCSP and CRL servers, or sign at a lower --level",
        _Z: "請檢查與 OCSP 及 CRL 伺服器的網路連線，或改用較低的 --level",
    },
    "summary.timestamp": {
        _E: "the time-stamping authority gave no usable timestamp; no file was written",
        _Z: "時戳服務沒有提供可用的時戳，沒有寫入任何檔案",
    },
    "remedy.timestamp": {
        _E: "check the --tsa URL and the network or proxy, or sign with --level b-b",
        _Z: "請檢查 --tsa 網址與網路或 Proxy 設定，或改用 --level b-b",
    },
    "pdf.progress.sign": {
        _E: "Signing {path} at PAdES {level}…",
        _Z: "以 PAdES {level} 簽署 {path}…",
    },
    "pdf.sign.done": {
        _E: "Wrote {path}: PAdES {level} signature in field {field}, {size} bytes,"
        " signed by {signer}.",
        _Z: "已寫入 {path}：PAdES {level} 簽章（欄位 {field}），{size} 位元組，簽署者 {signer}。",
    },
    "pdf.verify.none": {
        _E: "INVALID: the PDF holds no signature.",
        _Z: "驗證失敗：此 PDF 沒有任何簽章。",
    },
    "pdf.verify.refused": {
        _E: "REFUSED: the PDF cannot be verified: {reason}",
        _Z: "拒絕驗證：此 PDF 無法驗證：{reason}",
    },
    "pdf.verify.heading": {
        _E: "{field} ({kind}, revision {revision} of {revisions}): {verdict}",
        _Z: "{field}（{kind}，第 {revision} 版，共 {revisions} 版）：{verdict}",
    },
    "pdf.kind.signature": {_E: "signature", _Z: "簽章"},
    "pdf.kind.document-timestamp": {_E: "document timestamp", _Z: "文件時戳"},
    "pdf.valid": {_E: "valid", _Z: "有效"},
    "pdf.invalid": {_E: "NOT valid", _Z: "無效"},
    "pdf.field.level": {_E: "PAdES level", _Z: "PAdES 等級"},
    "pdf.field.coverage": {_E: "covers", _Z: "簽署範圍"},
    "pdf.field.later_changes": {_E: "changed after signing", _Z: "簽署後的變更"},
    "pdf.field.evidence": {_E: "revocation data", _Z: "廢止資料來源"},
    "pdf.field.timestamp": {_E: "timestamp", _Z: "時戳"},
    "pdf.coverage.entire-file": {_E: "the whole file", _Z: "整份檔案"},
    "pdf.coverage.entire-revision": {
        _E: "its whole revision (later updates follow)",
        _Z: "所屬版本的全部內容（其後另有增修）",
    },
    "pdf.changes.none": {_E: "nothing", _Z: "無"},
    "pdf.changes.validation-data": {
        _E: "validation data and timestamps only",
        _Z: "僅加入驗證資料與時戳",
    },
    "pdf.changes.form-filling": {
        _E: "form fields or further signatures",
        _Z: "填寫表單欄位或加入其他簽章",
    },
    "pdf.changes.annotations": {_E: "annotations", _Z: "註解"},
    "pdf.changes.content": {
        _E: "THE SIGNED CONTENT (what is shown is not what was signed)",
        _Z: "已簽署的內容（顯示的內容與簽署的內容不同）",
    },
    "pdf.evidence.embedded": {_E: "embedded in the PDF", _Z: "內嵌於 PDF"},
    "pdf.evidence.online": {_E: "asked online", _Z: "線上查詢"},
    "pdf.evidence.none": {_E: "not checked", _Z: "未檢查"},
    "pdf.timestamp.value": {
        _E: "{time} by {authority} ({verdict})",
        _Z: "{time}，由 {authority} 簽發（{verdict}）",
    },
    # virtual-card
    "virtual.directory_unusable": {
        _E: "the virtual card cannot be made in {directory}: {reason}",
        _Z: "無法在 {directory} 建立虛擬卡片：{reason}",
    },
    "remedy.virtual_directory": {
        _E: "give --directory a folder you may write in (it is made when missing)",
        _Z: "請以 --directory 指定您有寫入權限的資料夾（不存在時會自動建立）",
    },
    "virtual.made": {
        _E: "Made virtual card {serial} ({authority}, {organisation}).",
        _Z: "已建立虛擬卡片 {serial}（{authority}，{organisation}）。",
    },
    "virtual.use": {
        _E: "To use it with the other commands:",
        _Z: "其他指令使用此卡片前請先執行：",
    },
    "virtual.trust": {
        _E: "Its test root (give it as --trust-root): {path}",
        _Z: "測試根憑證（以 --trust-root 指定）：{path}",
    },
    "virtual.revocation": {
        _E: "The test PKI's OCSP responders are not running: verify with --revocation off.",
        _Z: "測試 PKI 的 OCSP 服務沒有執行：驗證時請加上 --revocation off。",
    },
    # trust
    "trust.file": {_E: "Trusted sites ({path}):", _Z: "信任的網站（{path}）："},
    "trust.none": {_E: "  (none)", _Z: "  （無）"},
    "trust.added": {_E: "Trusted {site} (in {path}).", _Z: "已信任 {site}（{path}）。"},
    "trust.removed": {
        _E: "No longer trusted: {site} (in {path}); restart a running xcapki serve.",
        _Z: "已不再信任 {site}（{path}）；若 xcapki serve 正在執行，請重新啟動。",
    },
    "trust.absent": {
        _E: "{site} was not trusted (in {path}); nothing changed.",
        _Z: "{site} 原本就不在信任清單中（{path}），未做變更。",
    },
    "trust.not_a_site": {
        _E: "{site} is neither a domain nor an origin",
        _Z: "{site} 不是網域也不是來源",
    },
    "remedy.trust_site": {
        _E: "give a domain such as www.example.gov.tw, or an origin such as"
        " http://intranet.example:8080",
        _Z: "請提供網域（例如 www.example.gov.tw）或來源（例如 http://intranet.example:8080）",
    },
    # serve
    "serve.installed": {
        _E: "Wrote {path}. Start it now and at every login with:",
        _Z: "已寫入 {path}。請執行下列指令立即啟動並於每次登入時啟動：",
    },
    "serve.uninstall_first": {
        _E: "Stop it first if it runs:",
        _Z: "若服務正在執行，請先停止：",
    },
    "serve.uninstalled": {_E: "Removed {path}.", _Z: "已移除 {path}。"},
    "serve.not_installed": {
        _E: "{path} does not exist; nothing to remove.",
        _Z: "{path} 不存在，無需移除。",
    },
    "serve.listening": {
        _E: "Serving the local signing service on http://{host}:{port} (Ctrl-C stops it)",
        _Z: "本機簽章服務已啟動於 http://{host}:{port}（按 Ctrl-C 停止）",
    },
    # xcapki demo
    "demo.card.virtual": {
        _E: "virtual XCA card {serial} ({state}) in {directory}",
        _Z: "虛擬 XCA 憑證卡 {serial}（{state}），位於 {directory}",
    },
    "demo.card.made": {_E: "made now", _Z: "本次建立"},
    "demo.card.reused": {_E: "reused", _Z: "沿用"},
    "demo.card.real": {
        _E: "the card in the reader, module {module}",
        _Z: "讀卡機中的卡片，模組 {module}",
    },
    "demo.card.unnamed": {_E: "not in the certificate", _Z: "憑證未載明"},
    "demo.pki": {
        _E: "test PKI: OCSP responders and CRL server on 127.0.0.1",
        _Z: "測試 PKI：OCSP 回應器與 CRL 伺服器已在 127.0.0.1 啟動",
    },
    "demo.service": {_E: "local signing service: {url}", _Z: "本機簽章元件：{url}"},
    "demo.portal": {_E: "portal: {url}", _Z: "入口網：{url}"},
    "demo.login": {
        _E: (
            "logging in: challenge, PIN and signature through PKCS#11, path and revocation"
            " check ..."
        ),
        _Z: "登入中：取得挑戰值、以 PIN 碼經 PKCS#11 簽章、驗證憑證路徑與廢止狀態 …",
    },
    "demo.success": {_E: "login succeeded; the portal saw:", _Z: "登入成功；入口網看到的身分："},
    "demo.revocation": {_E: "{state} ({source})", _Z: "{state}（{source}）"},
    "demo.field.not_after": {_E: "certificate valid until", _Z: "憑證有效期限"},
    "demo.field.filing": {_E: "會計師查核簽證線上申報系統", _Z: "會計師查核簽證線上申報系統"},
    "demo.filing.yes": {_E: "admitted (XCA login)", _Z: "可進入（XCA 憑證登入）"},
    "demo.filing.no": {
        _E: "refused: it admits XCA logins only",
        _Z: "不可進入：本系統必須使用 XCA 憑證登入",
    },
    "demo.open.virtual": {
        _E: "open {url} in a browser, press 憑證登入 with PIN {pin} (a test card's PIN)",
        _Z: "請以瀏覽器開啟 {url}，輸入 PIN 碼 {pin}（測試卡）後按「憑證登入」",
    },
    "demo.open.real": {
        _E: "open {url} in a browser, type your card's PIN and press 憑證登入",
        _Z: "請以瀏覽器開啟 {url}，輸入卡片的 PIN 碼後按「憑證登入」",
    },
    "demo.wait": {_E: "press Ctrl-C to stop", _Z: "按 Ctrl-C 結束"},
    "demo.stopped": {
        _E: "stopped the portal, the service and the test PKI",
        _Z: "已停止入口網、本機簽章元件與測試 PKI",
    },
    "demo.pin.prompt": {_E: "PIN of the card: ", _Z: "卡片 PIN 碼："},
    # browser
    "browser.installed": {_E: "Wrote the {what} file {path}", _Z: "已寫入 {what} 檔案 {path}"},
    "browser.removed": {_E: "Removed the {what} file {path}", _Z: "已移除 {what} 檔案 {path}"},
    "browser.nothing": {
        _E: "Nothing to remove: the native host was not registered there",
        _Z: "沒有可移除的檔案：原生主程式未在此處註冊",
    },
}


class Catalogue:
    """The messages of one language; ``text(key, **fields)`` formats one."""

    __slots__ = ("language",)

    def __init__(self, language: Language) -> None:
        self.language = language

    def text(self, key: str, **fields: object) -> str:
        """The message ``key`` in this language with ``fields`` filled in."""
        return MESSAGES[key][self.language].format(**fields)

    def has(self, key: str) -> bool:
        """Whether the catalogue holds ``key``."""
        return key in MESSAGES


def template_fields(template: str) -> frozenset[str]:
    """The ``{field}`` names a template uses (for the catalogue's consistency test)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
