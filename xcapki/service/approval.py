"""``/addDomain``: the user trusts a site; what is trusted, who is told, and the tickets.

A page opens ``/addDomain?domain=<its host>`` as a popup and waits for a
``postMessage`` from the service's origin carrying ``{"func":"addDomain",
"ret_code":...}``. The popup names the site and lets the user trust or
refuse it there (``DomainApproval.POPUP``), or tells the user to answer the
service's own prompt (``DomainApproval.PROMPT``). Then it posts the answer
to the opener's origin only and closes: the origin of the Referer the
browser sent when the page opened it, else (an HTTPS page sends none to
http://localhost) the origin that last probed ``/p11Image.bmp`` from that
host, else ``https://<domain>``. The popup itself is ``approval_page``.

A page must not be able to approve for the user:
- the popup cannot be framed (``frame-ancestors 'none'``, ``X-Frame-Options``),
  so it cannot be hidden under a decoy button;
- the opener cannot script a cross-origin popup, and the answer is a POST
  from the popup's own origin (the Origin header proves it) carrying a
  one-time ticket that only the popup's HTML holds;
- the trust button is enabled only after the popup has been visible for a
  while (``approval_delay_seconds``, re-armed whenever the popup loses
  focus), and the service refuses an approval that comes sooner, so a click
  the page lured the user into making where the popup appears does not count.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from anyio import to_thread

from xcapki._origin import OriginError, origin_of_url
from xcapki.service.approval_page import approval_page
from xcapki.service.config import DomainApproval, DomainRequest, ServiceConfig
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.protocol import answer
from xcapki.service.trust import TrustList, normalise_trust_entry

__all__ = ["PendingApproval", "SiteApprovals", "TicketBook", "opener_origin"]

TICKET_LIFETIME_SECONDS: Final = 600.0
_TICKETS_KEPT: Final = 32
_PROBES_KEPT: Final = 64
_log = logging.getLogger("xcapki.service")


def opener_origin(referer: str | None) -> str | None:
    """The origin of the page that opened the popup, from its Referer; None when unknown."""
    if not referer:
        return None
    try:
        return origin_of_url(referer).serialised()
    except OriginError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingApproval:
    """A question shown in a popup: the entry to trust, where to post the answer, and when
    the popup was served (an approval before ``asked_at`` + the delay is refused)."""

    entry: str
    target_origin: str
    requested_by: str | None
    asked_at: float


class TicketBook:
    """One-time tickets for pending popups; the oldest are dropped past a few dozen."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: OrderedDict[str, PendingApproval] = OrderedDict()
        self._lock = threading.Lock()

    def now(self) -> float:
        """The clock tickets are stamped with."""
        return self._clock()

    def issue(self, entry: str, target_origin: str, requested_by: str | None) -> str:
        """A fresh ticket for the question about ``entry``."""
        ticket = secrets.token_urlsafe(24)
        pending = PendingApproval(
            entry=entry, target_origin=target_origin, requested_by=requested_by, asked_at=self.now()
        )
        with self._lock:
            self._pending[ticket] = pending
            while len(self._pending) > _TICKETS_KEPT:
                self._pending.popitem(last=False)
        return ticket

    def take(self, ticket: str) -> PendingApproval | None:
        """The question ``ticket`` stands for, once; None when unknown, used or expired."""
        with self._lock:
            pending = self._pending.pop(ticket, None)
        if pending is None or self.now() - pending.asked_at > TICKET_LIFETIME_SECONDS:
            return None
        return pending


class SiteApprovals:
    """``/addDomain``: asks the user (in the popup or the service's prompt) whether to trust
    a site, and remembers the yes in the trust list."""

    def __init__(self, config: ServiceConfig, *, version: str, trust: TrustList) -> None:
        self._config = config
        self._version = version
        self._trust = trust
        self._tickets = TicketBook()
        self._asking_user = asyncio.Lock()
        self._probed: OrderedDict[str, str] = OrderedDict()

    def ask_domain(self, domain: str, referer: str | None) -> str:
        """The ``/addDomain`` popup's HTML for ``domain``, asked by the page at ``referer``.

        The trusted entry is the domain (https on any port), or the opener's exact origin
        when that is plain http; a page may ask only for its own host.
        """
        opener = opener_origin(referer)
        entry = normalise_trust_entry(domain)
        target = opener or self._probed.get(entry or "")
        target = target or (entry if entry and "://" in entry else f"https://{entry}")
        refusal = None
        if entry is None:
            refusal = f"{domain!r} is not a domain: the page must send /addDomain?domain=<host>"
        elif opener is not None:
            own = normalise_trust_entry(opener)
            host = urlsplit(opener).hostname
            if entry not in (own, host):
                refusal = f"the page of {opener} asked to trust another site, {entry}: refused"
            elif entry == host and opener.startswith("http://") and own is not None:
                entry = own
        if refusal is not None or entry is None:
            _log.warning("addDomain %s from %s: %s", domain, opener or "(no referrer)", refusal)
            refused = answer(
                "addDomain", self._version, ret_code=HipkiCode.FORBIDDEN_DOMAIN, message=refusal
            )
            return approval_page(
                state="done",
                entry=domain,
                requested_by=opener,
                target_origin=target if entry else opener,
                answer=refused,
                message=refusal or "",
            )
        if entry in self._trust.entries:
            _log.info("addDomain %s from %s: already trusted", entry, opener or "(no referrer)")
            return approval_page(
                state="done",
                entry=entry,
                requested_by=opener,
                target_origin=target,
                answer=answer("addDomain", self._version, domain=entry),
                message=f"{entry} 已是信任網站 is already trusted",
            )
        ticket = self._tickets.issue(entry, target, opener)
        popup = self._config.domain_approval is DomainApproval.POPUP
        _log.info(
            "addDomain %s from %s: asking the user %s",
            entry,
            opener or "(no referrer)",
            "in the popup" if popup else "through the prompt",
        )
        return approval_page(
            state="ask" if popup else "prompt",
            entry=entry,
            requested_by=opener,
            target_origin=target,
            ticket=ticket,
            delay_seconds=self._config.approval_delay_seconds,
        )

    async def answer_domain(self, ticket: str, decision: str) -> dict[str, Any]:
        """The popup's answer (``approve``, ``refuse``, or ``prompt`` to ask the service's
        prompt) to the question ``ticket`` stands for; trusted on approval."""
        pending = self._tickets.take(ticket)
        if pending is None:
            raise HipkiError(
                "this approval expired or was already answered: open /addDomain again",
                ret_code=HipkiCode.FORBIDDEN_DOMAIN,
            )
        entry = pending.entry
        popup = self._config.domain_approval is DomainApproval.POPUP
        if decision == "approve" and popup:
            waited = self._tickets.now() - pending.asked_at
            if waited < self._config.approval_delay_seconds:
                _log.warning("addDomain %s: approval %.1f s after asking, refused", entry, waited)
                raise HipkiError(
                    f"{entry} was approved before the popup was shown for"
                    f" {self._config.approval_delay_seconds:g} seconds: open /addDomain again",
                    ret_code=HipkiCode.FORBIDDEN_DOMAIN,
                )
            approved = True
        elif decision == "prompt" and not popup:
            approved = await self._ask_prompt(entry, pending.requested_by)
        elif decision == "refuse":
            approved = False
        else:
            raise HipkiError(
                f"answer {decision!r} does not fit: the popup answers approve or refuse",
                ret_code=HipkiCode.BAD_REQUEST,
                http_status=400,
            )
        if not approved:
            _log.info("addDomain %s: the user did not trust it", entry)
            raise HipkiError(
                f"the user did not trust {entry}: it cannot use the card",
                ret_code=HipkiCode.FORBIDDEN_DOMAIN,
            )
        await to_thread.run_sync(self._trust.add, entry)
        _log.info("addDomain %s: trusted by the user", entry)
        return answer("addDomain", self._version, domain=entry)

    async def _ask_prompt(self, entry: str, requested_by: str | None) -> bool:
        if self._asking_user.locked():
            raise HipkiError(
                "another site is waiting for the user's answer: try again after it",
                ret_code=HipkiCode.FORBIDDEN_DOMAIN,
            )
        async with self._asking_user:
            return await to_thread.run_sync(
                self._config.domain_approver, DomainRequest(domain=entry, requested_by=requested_by)
            )

    def remember_probe(self, origin: str) -> None:
        """Keep the untrusted origin that probed, by host: when its /addDomain popup comes
        without a Referer (an HTTPS page opening http://localhost sends none), the answer
        still goes to that page's exact origin, port included."""
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return
        if host and opener_origin(origin) == origin:
            self._probed.pop(host, None)
            self._probed[host] = origin
            while len(self._probed) > _PROBES_KEPT:
                self._probed.popitem(last=False)
