"""The reason behind an error, in the user's language.

English shows the library's own message, which names the exact problem; its
last clause, the remedy written for the library's callers (e.g. "choose
RevocationMode.SOFT_FAIL"), gives way to the CLI's remedy, which names the flag.
Traditional Chinese shows a sentence per error class (the nearest class in
the error's ancestry that has one), so no English reaches a zh-TW user; the
English message stays in ``--json`` output and ``--debug``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from xcapki.cli.errors import CliError
from xcapki.cli.language import Language
from xcapki.cli.messages import Catalogue

__all__ = ["ZH_REASONS", "problem", "reason"]


ZH_REASONS: Final[Mapping[str, str]] = {
    "XcapkiError": "作業失敗",
    # crypto
    "CryptoError": "密碼學檢查失敗",
    "CertificateError": "憑證格式錯誤或無法讀取",
    "TrustStoreError": "無法載入信任的根憑證",
    "KeySignerError": "私密金鑰與憑證不相符，或無法產生此種簽章",
    "ValidatorUsageError": "憑證驗證的設定互相矛盾",
    "PathValidationError": "憑證路徑驗證失敗",
    "PathBuildingError": "無法建立到信任根憑證的憑證路徑（可能缺少中繼 CA 憑證）",
    "UntrustedRootError": "憑證沒有串接到信任的根憑證",
    "CertificateExpiredError": "憑證已過期",
    "CertificateNotYetValidError": "憑證尚未生效（請檢查電腦日期時間）",
    "InvalidPathError": "憑證路徑中有不合規定的憑證",
    "WeakAlgorithmError": "憑證路徑使用過弱的演算法",
    "RevocationError": "無法確認憑證廢止狀態",
    "CertificateRevokedError": "憑證已被廢止",
    "RevocationUnknownError": "憑證管理中心不認得此憑證",
    "RevocationUnavailableError": "無法連線到 OCSP 或 CRL 服務取得廢止狀態",
    "CrlTooLargeError": "憑證廢止清冊超過大小上限，未下載",
    "StaleRevocationError": "取得的廢止資訊已過期",
    "UntrustedRevocationError": "廢止資訊的簽署者不受信任",
    # CMS
    "CmsError": "簽章無法使用",
    "CmsUsageError": "簽章選項互相矛盾",
    "CmsMalformedError": "簽章檔格式錯誤，不是完整的 CMS 簽章資料（SignedData）",
    "NotCmsError": "此檔案不是 CMS（PKCS#7）簽章",
    "CmsTooLargeError": "簽章檔超過大小上限",
    "CmsSignerCountError": "簽章必須恰好有一位簽署者",
    "SignedAttributeError": "簽章屬性缺漏、重複或無法讀取",
    "CmsContentTypeError": "簽章內容類型不被接受（只接受一般資料 id-data）",
    "ContentTypeAttributeError": "簽章屬性中的內容類型與簽章內容不符",
    "DetachedContentMissingError": "此為分離式簽章，需要提供被簽署的文件",
    "ContentMismatchError": "簽章所簽署的內容與提供的文件不同",
    "NonceAttributeMismatchError": "簽章回應的是另一個挑戰值",
    "SignerCertificateMissingError": "簽章中沒有簽署者的憑證",
    "UnexpectedSignerError": "簽章的簽署者不是預期的憑證",
    "SigningCertificateMismatchError": "簽章屬性指出的簽署憑證與實際憑證不同（憑證遭替換）",
    "AlgorithmNotAllowedError": "簽章使用不被接受的演算法",
    "WeakKeyError": "簽署者的金鑰長度不足",
    "PssParametersError": "RSA-PSS 參數缺漏或不一致",
    "AlgorithmProtectionMismatchError": "簽章後演算法遭到變更",
    "SigningTimeSkewError": "簽章時間與目前時間相差過大（請檢查電腦時鐘）",
    "MessageDigestMismatchError": "原文的雜湊值與簽章不符：原文在簽署後遭到變更",
    "SignatureInvalidError": "簽章值驗證失敗：簽章或其屬性遭到變更，或附上了錯誤的憑證",
    # token (PKCS#11)
    "TokenError": "憑證元件發生錯誤",
    "ModuleError": "無法載入憑證元件（PKCS#11 模組）",
    "TokenNotFoundError": "憑證元件找不到指定的卡片",
    "AmbiguousTokenError": "有多張卡片符合，無法判斷要使用哪一張",
    "TokenRemovedError": "卡片在作業中被拔出",
    "DeviceError": "卡片或讀卡機發生錯誤",
    "MechanismError": "卡片不支援此演算法",
    "DataError": "卡片拒絕處理這筆資料",
    "ObjectError": "卡片中的物件有問題",
    "ObjectNotFoundError": "卡片中找不到所需的金鑰或憑證",
    "AmbiguousObjectError": "卡片中有多個符合的金鑰或憑證",
    "SessionError": "與卡片的連線階段發生錯誤",
    "OperationCancelledError": "作業已取消",
    "NotSupportedError": "憑證元件不支援此作業",
    "PinError": "PIN 碼沒有被接受",
    "PinIncorrectError": "PIN 碼錯誤",
    "PinLockedError": "PIN 碼已鎖住",
    "PinFormatError": "PIN 碼長度或字元不符合卡片的規定",
    "PinExpiredError": "PIN 碼已過期，需要變更",
    "PinNotInitializedError": "卡片尚未設定 PIN 碼",
    "FinalTryRefusedError": "只剩最後一次 PIN 碼機會，未使用",
    "PinUnavailableError": "沒有取得 PIN 碼",
    # reader (PC/SC)
    "ReaderError": "讀卡機發生錯誤",
    "PcscServiceUnavailableError": "讀卡機服務（PC/SC）沒有執行",
    "PcscLibraryMissingError": "沒有安裝 PC/SC 讀卡機程式庫",
    "NoReaderError": "找不到讀卡機",
    "ReaderGoneError": "讀卡機已被拔除",
    "NoCardError": "讀卡機中沒有卡片",
    "CardRemovedError": "卡片已被拔出",
    "CardResetError": "卡片被其他程式重設",
    "CardInUseError": "卡片被其他程式占用",
    "CardCommunicationError": "無法與卡片通訊",
    "EventWaitTimeout": "等候卡片逾時",
    "WaitCancelledError": "已取消等候",
    "AtrFormatError": "卡片回傳的 ATR 格式錯誤",
    "ApduFormatError": "卡片指令格式錯誤",
    "ApduError": "卡片回應錯誤",
    "PcscError": "讀卡機服務回報錯誤",
    # login (the demo portal's verifier)
    "LoginError": "登入被拒絕",
    "LoginConfigurationError": "登入驗證的設定無法運作",
    "ResponseMalformedError": "登入回應的格式不正確",
    "ResponseSizeError": "登入回應的大小不合理",
    "ChallengeError": "登入挑戰值無法使用",
    "ChallengeUnknownError": "找不到此挑戰值（可能已使用過或早已過期）",
    "ChallengeExpiredError": "挑戰值已過期，請重新登入",
    "ChallengeSessionError": "挑戰值屬於另一個瀏覽器工作階段",
    "ChallengeStoreError": "無法存取挑戰值儲存區",
    "ChallengeStoreFullError": "挑戰值儲存區已滿",
    "ContentBindingError": "簽署的內容與挑戰值不符",
    "SignerCertificateError": "登入回應中沒有簽署者憑證",
    "AlgorithmRejectedError": "簽章使用不被接受的演算法或金鑰長度",
    "SignedAttributeRejectedError": "簽章屬性不正確",
    "SignatureRejectedError": "簽章驗證失敗",
    "KeyUsageRejectedError": "此憑證不是簽章用憑證",
    "CertificateValidityError": "憑證不在有效期間內",
    "UntrustedSignerError": "憑證沒有串接到入口網信任的根憑證",
    "RevocationRejectedError": "憑證廢止狀態不允許登入",
    "RevocationCheckError": "無法取得可用的 OCSP 或 CRL 回應",
    "PolicyRejectedError": "此入口網不接受這類憑證",
    "AuthorityNotAllowedError": "此入口網不接受這個憑證管理中心的憑證",
    "CertificatePolicyNotAllowedError": "此入口網不接受這個憑證政策",
    "IdentityMissingError": "憑證中沒有入口網需要的身分欄位（統一編號）",
    # the local signing service
    "ServiceError": "本機簽章服務發生錯誤",
    "ServiceConfigError": "本機簽章服務的設定無法運作",
    "TrustListError": "無法讀寫信任網站清單",
    "HipkiError": "本機簽章服務拒絕了這個請求",
    # tools around the CLI
    "TestingError": "無法建立虛擬卡片或測試 PKI",
    "ToolMissingError": "缺少建立虛擬卡片所需的程式",
    "ToolFailedError": "建立虛擬卡片的程式執行失敗",
    "PcscdStartError": "無法啟動測試用的讀卡機服務（pcscd）",
    "DemoError": "示範環境發生錯誤",
    "DemoSetupError": "示範環境無法啟動",
    "DemoLoginError": "示範登入失敗",
    "ServiceUnavailableError": "本機簽章服務無法啟動",
    "HicosModuleMissingError": "讀卡機中是 HiCOS 卡片，但沒有安裝 HiCOS 憑證元件",
    # envelopes (encrypt / decrypt)
    "EnvelopeError": "無法製作或開啟數位信封",
    "EnvelopeUsageError": "此收件者憑證或選項無法製作數位信封",
    "DecryptionError": "無法以此金鑰開啟數位信封（收件者不符、內容損壞或演算法不支援）",
    # login: certificate purpose and profile
    "CertificatePurposeError": "此憑證不是卡片的登入（簽章）憑證",
    "CertificateProfileError": "憑證內容不符合政府憑證規範（身分欄位重複或格式不正確）",
    # Web eID tokens
    "TokenFormatError": "Web eID 登入資料的格式不正確",
    "CertificateDecodingError": "Web eID 登入資料中的憑證無法讀取",
    "CertificatePurposeMissingError": "憑證沒有金鑰用途，無法確認可用於登入",
    "ExtendedKeyUsageRejectedError": "憑證的延伸金鑰用途不包含用戶端驗證",
    "DisallowedPolicyError": "憑證帶有此網站不接受的憑證政策",
    # the browser extension's native host
    "NativeHostError": "瀏覽器擴充功能的原生程式無法完成要求",
    "FramingError": "瀏覽器送來的訊息格式不正確",
    "InvalidArgumentError": "瀏覽器擴充功能的指令或參數不正確",
    "OriginRefusedError": "此網站不能使用卡片（不是 https，或尚未信任）",
    "PinentryError": "無法執行輸入 PIN 碼的對話框程式",
    "UserCancelledError": "使用者取消了對話框",
    "UserTimeoutError": "對話框逾時未回應",
    # PDF (PAdES)
    "PdfError": "無法簽署或驗證此 PDF",
    "PdfFormatError": "PDF 檔案損壞，或簽章的配置有偽造跡象",
    "PdfSigningError": "PDF 簽章未完成，沒有寫入任何檔案",
    "PdfUsageError": "PDF 簽章選項無法使用於此文件或系統",
    "TimestampError": "無法取得可用的時戳",
    # test components
    "RedisTopologyError": "本機測試用的 Redis 伺服器、叢集或哨兵群組沒有啟動",
}


def reason(error: BaseException, catalogue: Catalogue) -> str:
    """Why ``error`` happened, in ``catalogue``'s language."""
    if isinstance(error, CliError) and error.key is not None:
        return error.detail(catalogue)
    if catalogue.language is not Language.TRADITIONAL_CHINESE:
        return problem(str(error))
    for cls in type(error).__mro__:
        text = ZH_REASONS.get(cls.__name__)
        if text is not None:
            return text
    return str(error)


def problem(message: str) -> str:
    """``message`` without its last "; remedy" clause: the CLI says its own remedy, naming
    the flag, and says it once. A clause that is part of a list (a ";" inside parentheses,
    or one followed by another sentence) stays."""
    head, separator, tail = message.rpartition("; ")
    if not separator or head.count("(") != head.count(")") or ". " in tail:
        return message
    return head
