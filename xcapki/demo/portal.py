"""The example portal: a 全國商工行政服務入口網 member area with card login, on xcapki.login.

What a portal backend does to admit card logins, in one Starlette app:

- every browser gets a server-side session (``SessionStore``) before it asks
  for a challenge, because ``PortalLogin`` binds each challenge to a session;
- ``POST /login/challenge`` issues one; the login page has the card sign its
  ``message`` through the local signing service's popupForm (static/login.js);
- ``POST /login`` verifies the HiPKI sign answer with the portal's
  ``PortalLogin`` (path to the trust anchors, OCSP/CRL revocation, any GPKI
  card authority) and renews the session id;
- beside it, two logins through the xcapki browser extension: a SmartPKI-style
  form login (``/login/smartpki``: the page signs the challenge's message as a
  detached PKCS#7 without attributes and submits the form, which the same
  verifier checks) and a Web eID login (``/login/webeid``: the page asks the
  extension to ``authenticate`` and posts the ``web-eid:1.0`` token, which a
  ``WebEidValidator`` with the Taiwan profile checks; https portals only);
- 我的首頁 shows the verified identity; 會計師查核簽證線上申報系統 admits only
  logins that satisfy ``CPA_FILING_POLICY`` (XCA signing certificates), and
  has the card sign the filing as a PDF (``filing_pdf``).

Every refusal is one generic 401 whose text says what the user can do; the
specific ``LoginError`` class is logged for operators.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Final

from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode, RevocationState
from xcapki.demo.filing_pdf import FilingPdfs
from xcapki.demo.pages import render_fragment, render_page
from xcapki.demo.sessions import PortalSession, SessionStore
from xcapki.demo.texts import authority_label, refusal_text
from xcapki.hipki import HIPKI_SERVICE_URL
from xcapki.login import (
    CPA_FILING_POLICY,
    DEFAULT_LOGIN_POLICY,
    MAX_RESPONSE_BYTES,
    AnyCertificatePolicy,
    ChallengeStore,
    Clock,
    LoginError,
    LoginIdentity,
    LoginPolicy,
    LoginResponse,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    VerifiedLogin,
    normalise_origin,
    system_clock,
)
from xcapki.login.webeid import WebEidLogin, WebEidRules, WebEidValidator, challenge_nonce

__all__ = [
    "DEFAULT_SERVICE_URL",
    "SESSION_COOKIE",
    "PortalConfig",
    "create_portal_app",
    "policy_admits",
]

log = logging.getLogger(__name__)

DEFAULT_SERVICE_URL: Final = HIPKI_SERVICE_URL
SESSION_COOKIE: Final = "portal_session"
TAIPEI: Final = timezone(timedelta(hours=8), "Asia/Taipei")
_REVOCATION_TEXT: Final = {
    RevocationState.GOOD: "有效（已向發卡機關確認未廢止）",
    RevocationState.NOT_CHECKED: "有效（未查詢廢止狀態）",
}
_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PortalConfig:
    """How the example portal is set up.

    ``origin`` is the portal's own origin as browsers reach it: the login
    message is derived from it, so it must be exactly the address users open.
    ``service_url`` is where the login page finds the local signing service.
    """

    origin: str
    trust_store: TrustStore
    service_url: str = DEFAULT_SERVICE_URL
    login_policy: LoginPolicy = DEFAULT_LOGIN_POLICY
    filing_policy: LoginPolicy = CPA_FILING_POLICY
    revocation_mode: RevocationMode = RevocationMode.HARD_FAIL
    challenge_store: ChallengeStore | None = None
    session_idle: timedelta = timedelta(minutes=30)
    clock: Clock = field(default=system_clock)


AnyLogin = VerifiedLogin | WebEidLogin
"""A login through the CMS verifier (HiPKI, SmartPKI) or the Web eID validator."""


def login_profile(login: AnyLogin) -> TaiwanCertificate:
    """The certificate read through the Taiwan profile (Web eID logins use that mode here)."""
    if isinstance(login, VerifiedLogin):
        return login.certificate
    assert login.profile is not None
    return login.profile


def _identity(login: AnyLogin) -> LoginIdentity:
    assert login.identity is not None
    return login.identity


def _method(login: AnyLogin) -> str:
    return login.response_format.value if isinstance(login, VerifiedLogin) else "web-eid"


def policy_admits(policy: LoginPolicy, login: AnyLogin) -> bool:
    """Whether a login verified under a wider policy also satisfies ``policy``.

    The portal verifies once (any GPKI card may enter the member area); each
    application then asks whether that login is good enough for it.
    """
    certificate = login_profile(login)
    if _identity(login).authority not in policy.authorities:
        return False
    allowed = policy.certificate_policies
    if not isinstance(allowed, AnyCertificatePolicy) and not allowed & set(certificate.policy_oids):
        return False
    return not (
        policy.require_unified_business_number and certificate.unified_business_number is None
    )


class _Portal:
    """The routes' shared state: the login protocol, sessions, and each account's last login."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.origin = normalise_origin(config.origin)
        self.service_url = config.service_url.rstrip("/")
        store = config.challenge_store or MemoryChallengeStore(clock=config.clock)
        self.login = PortalLogin(
            origin=self.origin,
            trust_store=config.trust_store,
            policy=config.login_policy,
            store=store,
            revocation_mode=config.revocation_mode,
            clock=config.clock,
        )
        self.webeid = (
            WebEidValidator(
                origin=self.origin,
                store=store,
                trust_store=config.trust_store,
                rules=WebEidRules.TAIWAN_PROFILE,
                policy=config.login_policy,
                revocation_mode=config.revocation_mode,
                clock=config.clock,
            )
            if self.origin.startswith("https://")
            else None
        )
        self.sessions = SessionStore(idle=config.session_idle, clock=config.clock)
        self.filings = FilingPdfs(
            trust_store=config.trust_store, revocation_mode=config.revocation_mode
        )
        self.last_logins: dict[bytes, datetime] = {}
        self.secure_cookie = self.origin.startswith("https://")

    # sessions

    def session(self, request: Request) -> PortalSession | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def set_cookie(self, response: Response, session: PortalSession) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            session.session_id,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
            path="/",
        )

    def same_origin(self, request: Request) -> bool:
        """A state-changing request must come from the portal's own pages (CSRF)."""
        return request.headers.get("origin") == self.origin

    # pages

    def page(
        self, title: str, body: str, session: PortalSession | None, status: int = 200
    ) -> Response:
        account = ""
        if session is not None and session.login is not None:
            account = render_fragment("account.html", organisation=_organisation(session.login))
        response = HTMLResponse(render_page(title, body, account=account), status_code=status)
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response

    async def index(self, request: Request) -> Response:
        session = self.session(request)
        target = "/home" if session is not None and session.login is not None else "/login"
        return RedirectResponse(target, status_code=303)

    async def login_page(self, request: Request) -> Response:
        session = self.session(request) or self.sessions.create()
        body = render_fragment("login.html", service_url=self.service_url)
        response = self.page("憑證登入", body, None)
        self.set_cookie(response, session)
        return response

    async def challenge(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or not self.same_origin(request):
            return JSONResponse({"message": "請重新整理登入頁後再試。"}, status_code=400)
        try:
            issued = self.login.issue_challenge(session.session_id)
        except LoginError as error:
            log.warning("challenge refused: %s: %s", type(error).__name__, error)
            return JSONResponse({"message": refusal_text(error)}, status_code=503)
        return Response(issued.to_json(), media_type="application/json")

    async def verify(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or not self.same_origin(request):
            return JSONResponse({"message": "請重新整理登入頁後再試。"}, status_code=400)
        body = await _bounded_body(request, MAX_RESPONSE_BYTES)
        if body is None:
            return JSONResponse({"message": "登入資料過大。"}, status_code=413)
        try:
            verified = await to_thread.run_sync(
                self.login.verify_response, session.session_id, body
            )
        except LoginError as error:
            log.info("login refused: %s: %s", type(error).__name__, error)
            return JSONResponse({"message": refusal_text(error)}, status_code=401)
        return self.admit(session, verified, JSONResponse({"next": "/home"}))

    def admit(self, session: PortalSession, verified: AnyLogin, response: Response) -> Response:
        """Log ``session`` in as ``verified``: remember the login and renew the session id."""
        account = _account_key(verified)
        session.previous_login_at = self.last_logins.get(account)
        session.logged_in_at = verified.verified_at
        session.login = verified
        self.last_logins[account] = verified.verified_at
        renewed = self.sessions.renew(session)
        log.info("login (%s): %s", _method(verified), _organisation(verified))
        self.set_cookie(response, renewed)
        return response

    # the extension's two protocols

    async def smartpki_page(self, request: Request) -> Response:
        session = self.session(request) or self.sessions.create()
        response = self.page("憑證登入（SmartPKI）", render_fragment("login_smartpki.html"), None)
        self.set_cookie(response, session)
        return response

    async def smartpki_verify(self, request: Request) -> Response:
        """The SmartPKI-style form: ``signedData`` (detached PKCS#7) and ``certBody``."""
        session = self.session(request)
        if session is None or not self.same_origin(request):
            return self.page("憑證登入", render_fragment("login_failed.html",
                             message="請重新整理登入頁後再試。"), None, status=400)  # fmt: skip
        body = await _bounded_body(request, MAX_RESPONSE_BYTES)
        form = _form_fields(body or b"")
        try:
            answer = LoginResponse(
                format=ResponseFormat.SMARTPKI,
                challenge_id=str(form.get("challengeId", "")),
                cms=_form_base64(form.get("signedData")),
                certificate=_form_base64(form.get("certBody")),
            )
            verified = await to_thread.run_sync(
                self.login.verify_response, session.session_id, answer
            )
        except LoginError as error:
            log.info("SmartPKI login refused: %s: %s", type(error).__name__, error)
            failed = render_fragment("login_failed.html", message=refusal_text(error))
            return self.page("憑證登入", failed, None, status=401)
        return self.admit(session, verified, RedirectResponse("/home", status_code=303))

    async def webeid_page(self, request: Request) -> Response:
        session = self.session(request) or self.sessions.create()
        response = self.page("憑證登入（Web eID）", render_fragment("login_webeid.html"), None)
        self.set_cookie(response, session)
        return response

    async def webeid_challenge(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or not self.same_origin(request):
            return JSONResponse({"message": "請重新整理登入頁後再試。"}, status_code=400)
        if self.webeid is None:
            return JSONResponse({"message": "Web eID 登入僅限 https 網站。"}, status_code=503)
        try:
            issued = self.login.issue_challenge(session.session_id)
        except LoginError as error:
            return JSONResponse({"message": refusal_text(error)}, status_code=503)
        return JSONResponse({"challengeId": issued.challenge_id, "nonce": challenge_nonce(issued)})

    async def webeid_verify(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or not self.same_origin(request) or self.webeid is None:
            return JSONResponse({"message": "請重新整理登入頁後再試。"}, status_code=400)
        body = await _bounded_body(request, MAX_RESPONSE_BYTES)
        if body is None:
            return JSONResponse({"message": "登入資料過大。"}, status_code=413)
        validator = self.webeid
        try:
            posted = json.loads(body)
            if not isinstance(posted, dict):
                raise ValueError("not an object")
            challenge_id = str(posted.get("challengeId", ""))
            token = posted.get("authToken")
            if not isinstance(token, dict):
                raise ValueError("no authToken object")
        except ValueError:
            return JSONResponse({"message": "登入資料格式錯誤。"}, status_code=400)
        try:
            verified = await to_thread.run_sync(
                lambda: validator.validate(
                    token, challenge_id=challenge_id, session_id=session.session_id
                )
            )
        except LoginError as error:
            log.info("Web eID login refused: %s: %s", type(error).__name__, error)
            return JSONResponse({"message": refusal_text(error)}, status_code=401)
        return self.admit(session, verified, JSONResponse({"next": "/home"}))

    async def home(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or session.login is None:
            return RedirectResponse("/login", status_code=303)
        login = session.login
        identity = _identity(login)
        filing_note = ""
        if not policy_admits(self.config.filing_policy, login):
            filing_note = render_fragment(
                "filing_note.html", card_kind=authority_label(identity.authority)
            )
        body = render_fragment(
            "home.html",
            organisation=_organisation(login),
            ubn=identity.unified_business_number or "（憑證未載明）",
            card_kind=authority_label(identity.authority),
            card_serial=identity.card_serial or "（憑證未載明）",
            not_after=_local(identity.not_after),
            revocation=_REVOCATION_TEXT.get(login.revocation.state, login.revocation.state.value),
            last_login=_local(session.previous_login_at)
            if session.previous_login_at
            else "本次為首次登入",
            this_login=_local(session.logged_in_at or login.verified_at),
            fragments={"filing_note": filing_note},
        )
        return self.page("我的首頁", body, session)

    async def cpa_filing(self, request: Request) -> Response:
        session = self.session(request)
        if session is None or session.login is None:
            return RedirectResponse("/login", status_code=303)
        login = session.login
        if not policy_admits(self.config.filing_policy, login):
            body = render_fragment(
                "refused.html", card_kind=authority_label(_identity(login).authority)
            )
            return self.page("會計師查核簽證線上申報系統", body, session, status=403)
        body = render_fragment(
            "filing.html",
            organisation=_organisation(login),
            ubn=_identity(login).unified_business_number or "（憑證未載明）",
            service_url=self.service_url,
        )
        return self.page("會計師查核簽證線上申報系統", body, session)

    def filer(self, request: Request) -> tuple[PortalSession, VerifiedLogin] | None:
        """The session and CMS login of a filer admitted to the filing system, else None."""
        session = self.session(request)
        if session is None or not isinstance(session.login, VerifiedLogin):
            return None
        if not policy_admits(self.config.filing_policy, session.login):
            return None
        return session, session.login

    async def filing_pdf_prepare(self, request: Request) -> Response:
        filer = self.filer(request)
        if filer is None or not self.same_origin(request):
            return JSONResponse({"message": "請重新登入後再簽署申報書。"}, status_code=403)
        session, login = filer
        return await self.filings.prepare(session.session_id, login, self.config.clock())

    async def filing_pdf_finish(self, request: Request) -> Response:
        filer = self.filer(request)
        if filer is None or not self.same_origin(request):
            return JSONResponse({"message": "請重新登入後再簽署申報書。"}, status_code=403)
        body = await _bounded_body(request, MAX_RESPONSE_BYTES)
        if body is None:
            return JSONResponse({"message": "簽章資料過大。"}, status_code=413)
        return await self.filings.finish(filer[0].session_id, body)

    async def filing_pdf_signed(self, request: Request) -> Response:
        filer = self.filer(request)
        if filer is None:
            return RedirectResponse("/login", status_code=303)
        return self.filings.download(filer[0].session_id)

    async def me(self, request: Request) -> Response:
        """What the portal knows of this session's login, as JSON (for scripts and the demo)."""
        session = self.session(request)
        if session is None or session.login is None:
            return JSONResponse({"logged_in": False}, status_code=401)
        return JSONResponse(login_summary(session, self.config.filing_policy))

    async def logout(self, request: Request) -> Response:
        if not self.same_origin(request):
            return Response(status_code=400)
        session = self.session(request)
        if session is not None:
            self.sessions.drop(session.session_id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def login_summary(session: PortalSession, filing_policy: LoginPolicy) -> dict[str, object]:
    """The identity the portal saw, JSON-ready."""
    assert session.login is not None
    login = session.login
    identity = _identity(login)
    return {
        "logged_in": True,
        "authority": identity.authority.name,
        "organisation_name": identity.organisation_name,
        "unified_business_number": identity.unified_business_number,
        "organisation_oid": identity.organisation_oid,
        "card_serial": identity.card_serial,
        "certificate_serial": f"{identity.certificate_serial:x}",
        "certificate_sha256": identity.certificate_fingerprint.hex(),
        "not_after": identity.not_after.isoformat(),
        "revocation": login.revocation.state.value,
        "revocation_source": login.revocation.source.value,
        "chain": [c.subject.rfc4514_string() for c in login.chain],
        "response_format": _method(login),
        "logged_in_at": login.verified_at.isoformat(),
        "previous_login_at": (
            session.previous_login_at.isoformat() if session.previous_login_at else None
        ),
        "cpa_filing_admitted": policy_admits(filing_policy, login),
    }


def _account_key(login: AnyLogin) -> bytes:
    """An organisation keeps its account across card renewals: keyed on its 統一編號."""
    identity = _identity(login)
    if identity.unified_business_number is None:
        return identity.certificate_fingerprint
    return f"{identity.authority.name}:{identity.unified_business_number}".encode()


def _organisation(login: AnyLogin) -> str:
    return _identity(login).organisation_name or login_profile(login).common_name or "—"


def _local(moment: datetime) -> str:
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M:%S") + "（臺北時間）"


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _form_fields(body: bytes) -> dict[str, str]:
    """An urlencoded form's fields (first value of each); the login form has no files."""
    try:
        fields = urllib.parse.parse_qs(body.decode("ascii"), max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}


def _form_base64(value: object) -> bytes:
    if not isinstance(value, str) or not value:
        raise ResponseMalformedError("a form field of the SmartPKI login is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResponseMalformedError(f"a form field is not base64 ({exc})") from exc


async def _no_icon(request: Request) -> Response:
    """Browsers ask for an icon on every visit; the demo has none to give."""
    return Response(status_code=204)


def create_portal_app(config: PortalConfig) -> Starlette:
    """The example portal as an ASGI application."""
    portal = _Portal(config)
    routes = [
        Route("/", portal.index),
        Route("/login", portal.login_page, methods=["GET"]),
        Route("/login", portal.verify, methods=["POST"]),
        Route("/login/challenge", portal.challenge, methods=["POST"]),
        Route("/login/smartpki", portal.smartpki_page, methods=["GET"]),
        Route("/login/smartpki", portal.smartpki_verify, methods=["POST"]),
        Route("/login/webeid", portal.webeid_page, methods=["GET"]),
        Route("/login/webeid", portal.webeid_verify, methods=["POST"]),
        Route("/login/webeid/challenge", portal.webeid_challenge, methods=["POST"]),
        Route("/home", portal.home),
        Route("/apps/cpa-filing", portal.cpa_filing),
        Route("/apps/cpa-filing/pdf/prepare", portal.filing_pdf_prepare, methods=["POST"]),
        Route("/apps/cpa-filing/pdf/finish", portal.filing_pdf_finish, methods=["POST"]),
        Route("/apps/cpa-filing/pdf/signed", portal.filing_pdf_signed),
        Route("/api/me", portal.me),
        Route("/logout", portal.logout, methods=["POST"]),
        Route("/favicon.ico", _no_icon),
        Mount("/static", StaticFiles(packages=[("xcapki.demo", "static")]), name="static"),
    ]
    return Starlette(routes=routes)
