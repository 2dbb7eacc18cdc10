"""The portal's zh-TW wording: card kinds, and what to tell a user whose login was refused.

``LoginError.user_message`` is English; a portal for Taiwanese users shows
its own language. The mapping follows the login error tree, most specific
class first, so a new subclass still gets its parent's message.
"""

from __future__ import annotations

from typing import Final

from xcapki.crypto.authority import Authority
from xcapki.login import errors

__all__ = ["AUTHORITY_LABELS", "authority_label", "refusal_text"]

AUTHORITY_LABELS: Final = {
    Authority.XCA: "組織及團體憑證 (XCA)",
    Authority.GCA: "政府憑證 (GCA)",
    Authority.MOICA: "自然人憑證 (MOICA)",
    Authority.MOEACA: "工商憑證 (MOEACA)",
    Authority.TEST: "測試憑證",
    Authority.OTHER: "其他憑證",
}

_RETRY: Final = "請重新按「憑證登入」。"

_REFUSALS: Final[tuple[tuple[type[errors.LoginError], str], ...]] = (
    (errors.ChallengeExpiredError, "登入逾時。" + _RETRY),
    (errors.ChallengeError, "本次登入已失效。" + _RETRY),
    (errors.SigningTimeSkewError, "您電腦的日期時間不正確，請校正後" + _RETRY),
    (errors.CertificateExpiredError, "您的憑證已過期，請向發卡機關申請換發。"),
    (errors.CertificateNotYetValidError, "您的憑證尚未生效，請確認電腦的日期時間。"),
    (errors.KeyUsageRejectedError, "請使用卡片的簽章用憑證登入。"),
    (errors.AuthorityNotAllowedError, "本網站不接受此類憑證登入。"),
    (errors.PolicyRejectedError, "本網站不接受此類憑證登入。"),
    (errors.RevocationUnknownError, "憑證狀態無法確認（發卡機關查無此憑證），無法登入。"),
    (errors.CertificateRevokedError, "您的憑證已被廢止，無法登入。請洽發卡機關。"),
    (errors.RevocationCheckError, "目前無法向發卡機關確認憑證狀態，請稍後再試。"),
    (errors.UntrustedSignerError, "您的憑證不是由本網站信任的憑證機構所簽發。"),
    (errors.AlgorithmRejectedError, "您的卡片使用的演算法已不安全，請向發卡機關申請換發。"),
    (errors.LoginConfigurationError, "網站的憑證登入設定有誤，請聯絡網站管理者。"),
    (errors.ChallengeStoreError, "網站暫時無法處理憑證登入，請稍後再試。"),
)
_DEFAULT_REFUSAL: Final = "憑證登入失敗。" + _RETRY


def authority_label(authority: Authority) -> str:
    """The card kind as users know it, e.g. 組織及團體憑證 (XCA)."""
    return AUTHORITY_LABELS[authority]


def refusal_text(error: errors.LoginError) -> str:
    """What the login page tells the user; never which internal check failed beyond that."""
    for kind, text in _REFUSALS:
        if isinstance(error, kind):
            return text
    return _DEFAULT_REFUSAL
