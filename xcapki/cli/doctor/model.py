"""One doctor check's outcome: a verdict, a translated message and remedy, the manual question."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xcapki.cli.messages import Catalogue

__all__ = ["Check", "CheckId", "ManualQuestion", "Recorder", "Verdict"]


class Verdict(enum.Enum):
    """How a check came out; the value is its JSON spelling."""

    OK = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class ManualQuestion(enum.Enum):
    """The portal manual's troubleshooting question a check answers."""

    COMPONENT = "Q1"
    """元件未安裝 / component problems."""
    READER_OR_CARD = "Q2"
    """讀卡機沒有裝好、IC 卡沒有確實插入."""
    NETWORK = "Q3"
    """網路或 Proxy 無法連到入口網."""


class CheckId(enum.Enum):
    """The checks, in the order they run; the value is the JSON id."""

    PCSC_SERVICE = "pcsc_service"
    READERS = "readers"
    CARD_PRESENT = "card_present"
    CARD_ATR = "card_atr"
    PKCS11_MODULE = "pkcs11_module"
    TOKEN = "token"  # noqa: S105 - a check id, not a secret
    PIN_STATE = "pin_state"
    SIGNING_CERTIFICATE = "signing_certificate"
    ENCRYPTION_CERTIFICATE = "encryption_certificate"
    CHAIN = "chain"
    REVOCATION = "revocation"
    PROXY = "proxy"
    PORTAL_DNS = "portal_dns"
    PORTAL_TLS = "portal_tls"
    SERVICE_PORT = "service_port"
    LOCAL_NETWORK_ACCESS = "local_network_access"

    @property
    def question(self) -> ManualQuestion | None:
        """Which troubleshooting question of the manual this check belongs to."""
        return _QUESTIONS.get(self)


_QUESTIONS = {
    CheckId.PCSC_SERVICE: ManualQuestion.READER_OR_CARD,
    CheckId.READERS: ManualQuestion.READER_OR_CARD,
    CheckId.CARD_PRESENT: ManualQuestion.READER_OR_CARD,
    CheckId.CARD_ATR: ManualQuestion.READER_OR_CARD,
    CheckId.PKCS11_MODULE: ManualQuestion.COMPONENT,
    CheckId.TOKEN: ManualQuestion.READER_OR_CARD,
    CheckId.PIN_STATE: ManualQuestion.READER_OR_CARD,
    CheckId.REVOCATION: ManualQuestion.NETWORK,
    CheckId.PROXY: ManualQuestion.NETWORK,
    CheckId.PORTAL_DNS: ManualQuestion.NETWORK,
    CheckId.PORTAL_TLS: ManualQuestion.NETWORK,
    CheckId.SERVICE_PORT: ManualQuestion.COMPONENT,
    CheckId.LOCAL_NETWORK_ACCESS: ManualQuestion.COMPONENT,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """What one check found; ``remedy`` is empty when nothing needs doing."""

    id: CheckId
    verdict: Verdict
    message: str
    remedy: str

    def as_json(self, catalogue: Catalogue) -> dict[str, object]:
        """The check for ``--json`` output."""
        question = self.id.question
        return {
            "id": self.id.value,
            "name": catalogue.text(f"check.{self.id.value}"),
            "verdict": self.verdict.value,
            "message": self.message,
            "remedy": self.remedy or None,
            "manual_question": None if question is None else question.value,
        }


class Recorder:
    """Collects checks in order, translating message and remedy keys as they come."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.checks: list[Check] = []

    def add(
        self,
        check: CheckId,
        verdict: Verdict,
        message_key: str,
        remedy_key: str | None = None,
        /,
        **fields: object,
    ) -> Verdict:
        """Record one check; the same ``fields`` fill the message and the remedy."""
        text = self.catalogue.text
        self.checks.append(
            Check(
                id=check,
                verdict=verdict,
                message=text(message_key, **fields),
                remedy="" if remedy_key is None else text(remedy_key, **fields),
            )
        )
        return verdict

    def add_text(self, check: CheckId, verdict: Verdict, message: str, remedy: str = "") -> Verdict:
        """Record one check whose words are already translated."""
        self.checks.append(Check(id=check, verdict=verdict, message=message, remedy=remedy))
        return verdict

    def skip_after(self, checks: tuple[CheckId, ...], failed: CheckId) -> None:
        """Mark ``checks`` skipped because ``failed`` did not pass."""
        name = self.catalogue.text(f"check.{failed.value}")
        for check in checks:
            self.add(check, Verdict.SKIP, "skip.after", failed=name)

    def skip(
        self, checks: tuple[CheckId, ...], message_key: str, remedy_key: str | None = None
    ) -> None:
        """Mark ``checks`` skipped for the reason ``message_key`` gives."""
        for check in checks:
            self.add(check, Verdict.SKIP, message_key, remedy_key)
