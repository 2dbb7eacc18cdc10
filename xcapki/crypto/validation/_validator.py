"""``ChainValidator``: path validation and revocation on pyhanko-certvalidator.

certvalidator builds and checks the path (RFC 5280 signatures, validity,
constraints, policies) and judges OCSP and CRL answers (certificate id,
signature, responder authorisation, freshness). This module configures it once,
keeps what may be reused between validations, and adds what a portal needs on
top: "unknown" counts as revoked even when a CRL would say good, a verdict and
its source per certificate, and xcapki's own errors.

Reuse: once a path root -> ... -> issuing CA has validated, later leaves under
the same CA are checked against that CA as a temporary trust anchor (one
signature check) for as long as every certificate above it is valid and its
revocation answers are fresh; a leaf's own GOOD answer is reused until its
nextUpdate. When both are cached, the fast path (``_fast_path``) makes those
checks without certvalidator or an event loop, and falls back to it on any
doubt.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator import find_valid_path
from pyhanko_certvalidator.authority import (
    AuthorityWithCert,
    CertTrustAnchor,
    TrustedServiceType,
    TrustQualifiers,
)
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.ltv.poe import POEManager
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    LEGACY_POLICY_MAP,
    CertRevTrustPolicy,
    DisallowWeakAlgorithmsPolicy,
    NonRevokedStatusAssertion,
)
from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager
from pyhanko_certvalidator.revinfo.manager import RevinfoManager
from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response
from pyhanko_certvalidator.validate import async_validate_path

from xcapki.crypto.caches import CacheStatistics
from xcapki.crypto.defaults import Clock, system_clock, with_given
from xcapki.crypto.errors import CertificateError
from xcapki.crypto.profile import TaiwanCertificate, certificate_der
from xcapki.crypto.trust import TrustRole, TrustStore
from xcapki.crypto.validation import _revinfo
from xcapki.crypto.validation._cache import (
    CachedIntermediatePath,
    CheckedLeafCache,
    CrlCache,
    FetchCounter,
    IntermediatePathCache,
    ProfileCache,
    StatusCache,
    Window,
)
from xcapki.crypto.validation._fast_path import FastPath, issuer_key
from xcapki.crypto.validation._fetchers import (
    FetchRecord,
    NoIssuerFetching,
    RecordingCrlFetcher,
    RecordingOcspFetcher,
    crl_urls,
)
from xcapki.crypto.validation._options import DEFAULT_VALIDATOR_OPTIONS, ValidatorOptions
from xcapki.crypto.validation._status import (
    NOT_CHECKED,
    CertificateStatus,
    RevocationMode,
    RevocationSource,
    RevocationState,
    RevocationStatus,
    ValidatedPath,
)
from xcapki.crypto.validation._translate import translate_failure
from xcapki.crypto.validation.errors import (
    InvalidPathError,
    PathBuildingError,
    RevocationUnknownError,
    ValidatorUsageError,
)
from xcapki.errors import XcapkiError

__all__ = ["ChainValidator", "ValidatorStatistics"]

MAX_FETCHES_PER_VALIDATION: Final = 16

MAX_HELPER_CERTIFICATES: Final = 8
"""Distinct untrusted helpers (besides the leaf) a validation builds paths with: a card's
chain with its cross-certificates fits, and the trust store holds the GPKI intermediates."""

MAX_HELPERS_PER_NAME: Final = 2
"""Helpers that may share one subject name. Path building tries every ordering of helpers
that share a name, so each one more multiplies the work (seven made-up CA certificates
under one name take seconds, a dozen hours); a genuine chain has at most a CA certificate
and its renewal under one name."""

_LEGACY_MODE: Final = {
    RevocationMode.OFF: "none",
    RevocationMode.SOFT_FAIL: "soft-fail",
    RevocationMode.HARD_FAIL: "hard-fail",
    RevocationMode.REQUIRE: "require",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidatorStatistics:
    """Counters since the validator was built: network requests and cache reuse.

    ``path_cache_hits`` and ``status_cache_hits`` count validations that
    reused a cached path or verdict; each cache's own lookups are in its
    ``CacheStatistics``: ``paths`` (root -> issuing CA), ``statuses`` (GOOD
    verdicts), ``revocation_lists`` (CRLs), ``checked_leaves`` (leaves the
    fast path checked) and ``profiles`` (certificates read by ``profile``).
    """

    ocsp_requests: int
    crl_requests: int
    path_cache_hits: int
    status_cache_hits: int
    fast_path_hits: int
    cached_paths: int
    cached_statuses: int
    paths: CacheStatistics
    statuses: CacheStatistics
    revocation_lists: CacheStatistics
    checked_leaves: CacheStatistics
    profiles: CacheStatistics


class ChainValidator:
    """Validates certificate paths to a ``TrustStore``, with revocation checking.

    Configured once; safe to call from many threads at once (each call runs its
    own event loop and HTTP session; the caches are locked). ``clock`` supplies
    "now" (inject a fixed one in tests); ``clock_skew`` is tolerated on
    certificate validity and on revocation answers' thisUpdate/nextUpdate;
    ``fetch_timeout`` bounds each OCSP or CRL request and ``max_crl_bytes``
    each CRL's size (a larger one is refused unread). ``fast_path=False``
    sends every validation through certvalidator, e.g. to compare results.
    """

    __slots__ = (
        "_algorithm_policy",
        "_checked_leaves",
        "_clock",
        "_clock_skew",
        "_counter",
        "_crl_cache",
        "_fast_path",
        "_fetch_timeout",
        "_intermediates",
        "_max_crl_bytes",
        "_options",
        "_path_cache",
        "_profile_cache",
        "_revocation_mode",
        "_status_cache",
        "_trust_manager",
        "_trust_store",
    )

    def __init__(
        self,
        trust_store: TrustStore,
        *,
        revocation_mode: RevocationMode | None = None,
        fetch_timeout: datetime.timedelta | None = None,
        clock_skew: datetime.timedelta | None = None,
        clock: Clock = system_clock,
        cache_capacity: int | None = None,
        fast_path: bool | None = None,
        max_crl_bytes: int | None = None,
        options: ValidatorOptions | None = None,
    ) -> None:
        if options is not None and not isinstance(options, ValidatorOptions):
            raise ValidatorUsageError("options must be a ValidatorOptions")
        chosen = with_given(
            options or DEFAULT_VALIDATOR_OPTIONS,
            revocation_mode=revocation_mode,
            fetch_timeout=fetch_timeout,
            clock_skew=clock_skew,
            cache_capacity=cache_capacity,
            fast_path=fast_path,
            max_crl_bytes=max_crl_bytes,
        )
        _check_option_types(chosen)
        revocation_mode = chosen.revocation_mode
        fetch_timeout = chosen.fetch_timeout
        clock_skew = chosen.clock_skew
        cache_capacity = chosen.cache_capacity
        max_crl_bytes = chosen.max_crl_bytes
        if not isinstance(trust_store, TrustStore):
            raise ValidatorUsageError(
                "trust_store must be a TrustStore; build one with TrustStore.bundled()"
            )
        if not isinstance(revocation_mode, RevocationMode):
            raise ValidatorUsageError("revocation_mode must be a RevocationMode member")
        if fetch_timeout <= datetime.timedelta(0):
            raise ValidatorUsageError("fetch_timeout must be positive, e.g. timedelta(seconds=5)")
        if clock_skew < datetime.timedelta(0):
            raise ValidatorUsageError("clock_skew must not be negative")
        if cache_capacity < 1:
            raise ValidatorUsageError("cache_capacity must be at least 1")
        if max_crl_bytes < 1:
            raise ValidatorUsageError("max_crl_bytes must be positive, e.g. 10 * 1024 * 1024")
        if not trust_store.roots:
            raise ValidatorUsageError(
                "the trust store has no roots, so nothing could ever validate; "
                "start from TrustStore.bundled() or add roots with with_roots()"
            )
        self._trust_store = trust_store
        self._options = chosen
        self._revocation_mode = revocation_mode
        self._fetch_timeout = fetch_timeout
        self._max_crl_bytes = max_crl_bytes
        self._clock_skew = clock_skew
        self._clock = clock
        self._trust_manager = SimpleTrustManager.build(
            trust_roots=[_shared_asn1(r.certificate) for r in trust_store.roots]
        )
        self._intermediates = tuple(_shared_asn1(i.certificate) for i in trust_store.intermediates)
        self._crl_cache = CrlCache(cache_capacity)
        self._status_cache = StatusCache(cache_capacity)
        self._path_cache = IntermediatePathCache(cache_capacity)
        self._checked_leaves = CheckedLeafCache(cache_capacity)
        self._profile_cache = ProfileCache(cache_capacity)
        self._counter = FetchCounter()
        self._algorithm_policy = DisallowWeakAlgorithmsPolicy()  # type: ignore[no-untyped-call]
        self._fast_path = (
            FastPath(
                trust_store=trust_store,
                path_cache=self._path_cache,
                status_cache=self._status_cache,
                checked_leaves=self._checked_leaves,
                counter=self._counter,
                policy=self._algorithm_policy,
                clock_skew=clock_skew,
                checking=revocation_mode is not RevocationMode.OFF,
            )
            if chosen.fast_path
            else None
        )

    @property
    def trust_store(self) -> TrustStore:
        return self._trust_store

    @property
    def options(self) -> ValidatorOptions:
        """The options this validator was built with, keyword arguments applied."""
        return self._options

    @property
    def revocation_mode(self) -> RevocationMode:
        return self._revocation_mode

    @property
    def fetch_timeout(self) -> datetime.timedelta:
        return self._fetch_timeout

    @property
    def clock_skew(self) -> datetime.timedelta:
        return self._clock_skew

    def statistics(self) -> ValidatorStatistics:
        """A snapshot of the request counters and cache sizes."""
        counter = self._counter
        return ValidatorStatistics(
            ocsp_requests=counter.ocsp_requests,
            crl_requests=counter.crl_requests,
            path_cache_hits=counter.path_cache_hits,
            status_cache_hits=counter.status_cache_hits,
            fast_path_hits=counter.fast_path_hits,
            cached_paths=len(self._path_cache),
            cached_statuses=len(self._status_cache),
            paths=self._path_cache.statistics(),
            statuses=self._status_cache.statistics(),
            revocation_lists=self._crl_cache.statistics(),
            checked_leaves=self._checked_leaves.statistics(),
            profiles=self._profile_cache.statistics(),
        )

    def profile(self, certificate: x509.Certificate) -> TaiwanCertificate:
        """``certificate`` read through the Taiwan profile under this validator's trust store.

        The same as ``TaiwanCertificate.from_certificate(certificate,
        trust_store=validator.trust_store)``, remembered per certificate (a
        portal sees the same cards over and over). Raises ``CertificateError``
        for a certificate the profile refuses.
        """
        return self._profile_cache.read(certificate, self._trust_store)

    def validate(
        self,
        certificate: x509.Certificate | TaiwanCertificate,
        *,
        intermediates: Iterable[x509.Certificate] = (),
        moment: datetime.datetime | None = None,
    ) -> ValidatedPath:
        """Validate ``certificate``'s path at ``moment`` (default: the clock's now).

        ``intermediates`` are untrusted helpers for path building (e.g. the
        certificates carried in a CMS). Raises a ``PathValidationError``
        subclass from ``xcapki.crypto.validation.errors`` on failure. From
        async code, await ``validate_async`` instead.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            leaf, helpers, at = self._arguments(certificate, intermediates, moment)
            fast = self._try_fast_path(leaf, helpers, at)
            if fast is not None:
                return fast
            return _thread_loop().run_until_complete(self._validate_slow(leaf, helpers, at))
        raise ValidatorUsageError(
            "ChainValidator.validate() was called inside a running event loop; "
            "await ChainValidator.validate_async() there instead"
        )

    async def validate_async(
        self,
        certificate: x509.Certificate | TaiwanCertificate,
        *,
        intermediates: Iterable[x509.Certificate] = (),
        moment: datetime.datetime | None = None,
    ) -> ValidatedPath:
        """The asynchronous form of ``validate``."""
        leaf, helpers, at = self._arguments(certificate, intermediates, moment)
        fast = self._try_fast_path(leaf, helpers, at)
        if fast is not None:
            return fast
        return await self._validate_slow(leaf, helpers, at)

    def _arguments(
        self,
        certificate: x509.Certificate | TaiwanCertificate,
        intermediates: Iterable[x509.Certificate],
        moment: datetime.datetime | None,
    ) -> tuple[x509.Certificate, tuple[x509.Certificate, ...], datetime.datetime]:
        leaf = (
            certificate.certificate if isinstance(certificate, TaiwanCertificate) else certificate
        )
        if not isinstance(leaf, x509.Certificate):
            raise ValidatorUsageError(
                "validate() takes a cryptography x509.Certificate or a TaiwanCertificate"
            )
        at = self._clock() if moment is None else moment
        if at.utcoffset() is None:
            raise ValidatorUsageError("the validation moment must be timezone-aware (use UTC)")
        helpers = tuple(dict.fromkeys(c for c in intermediates if c != leaf))
        if len(helpers) > MAX_HELPER_CERTIFICATES:
            raise PathBuildingError(
                f"{len(helpers)} intermediate certificates came with the certificate; at most "
                f"{MAX_HELPER_CERTIFICATES} are used to build its path. Send only the chain "
                "(issuing CA and any cross-certificate), or add the CAs to the TrustStore"
            )
        by_name = Counter(c.subject.public_bytes() for c in helpers)
        if by_name and max(by_name.values()) > MAX_HELPERS_PER_NAME:
            raise PathBuildingError(
                f"{max(by_name.values())} intermediate certificates with the same name came with"
                f" the certificate; at most {MAX_HELPERS_PER_NAME} of one name are used to build"
                " its path. Send only the chain (issuing CA and any cross-certificate), or add"
                " the CAs to the TrustStore"
            )
        return leaf, helpers, at

    def _try_fast_path(
        self,
        leaf: x509.Certificate,
        helpers: tuple[x509.Certificate, ...],
        moment: datetime.datetime,
    ) -> ValidatedPath | None:
        if self._fast_path is None:
            return None
        return self._fast_path.validate(leaf, helpers, moment)

    async def _validate_slow(
        self,
        leaf: x509.Certificate,
        helpers: tuple[x509.Certificate, ...],
        moment: datetime.datetime,
    ) -> ValidatedPath:
        """certvalidator's validation; the boundary no dependency's exception crosses.

        certvalidator's own verdicts are translated in ``_Run.execute``; what
        ``cryptography``, asn1crypto or certvalidator raise on a certificate
        they cannot process becomes a ``CertificateError`` here.
        """
        try:
            run = _Run(self, _to_asn1(leaf), [_to_asn1(c) for c in helpers], moment)
            return await run.execute()
        except XcapkiError:
            raise
        except Exception as exc:
            raise CertificateError(
                "a certificate of the path cannot be processed (an extension, name or key is "
                "malformed); the signer must use a well-formed X.509 certificate"
            ) from exc


class _Run:
    """One validation: its context, its fetch record and its outcome."""

    def __init__(
        self,
        validator: ChainValidator,
        leaf: asn1_x509.Certificate,
        helpers: list[asn1_x509.Certificate],
        moment: datetime.datetime,
    ) -> None:
        self.v = validator
        self.leaf = leaf
        self.helpers = helpers
        self.moment = moment
        self.record = FetchRecord()
        self.checking = validator._revocation_mode is not RevocationMode.OFF

    async def execute(self) -> ValidatedPath:
        backend = None
        fetchers = None
        if self.checking:
            backend, fetchers = self._fetchers()
        try:
            cached = self._cached_issuer_path()
            context = self._context(fetchers, assert_leaf=cached is not None)
            try:
                path = None
                if cached is not None:
                    path = await self._try_below(context, cached)
                if path is None:
                    cached = None
                    context = self._context(fetchers, assert_leaf=False)
                    path = await self._validate_full(context)
                await self._refuse_unknown(context, path)
            except cv_errors.PathError as exc:
                raise translate_failure(
                    exc, run_record=self.record, context=context, leaf=self.leaf
                ) from exc
            except cv_errors.ValidationError as exc:
                raise translate_failure(
                    exc, run_record=self.record, context=context, leaf=self.leaf
                ) from exc
            return self._result(path, cached)
        finally:
            if backend is not None:
                await backend.close()

    def _fetchers(self) -> tuple[Any, Fetchers]:
        # aiohttp is imported here, not at module import, so that a validator
        # with revocation OFF (and `import xcapki`) never loads it.
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
        from pyhanko_certvalidator.fetchers.api import FetchLimits
        from pyhanko_certvalidator.fetchers.common_utils import FetchBudget

        from xcapki.crypto.validation._crl_exchange import CheckedCrlFetcher
        from xcapki.crypto.validation._ocsp_exchange import CheckedOcspFetcher

        backend = AIOHttpFetcherBackend()
        timeout = self.v._fetch_timeout.total_seconds()
        budget = FetchBudget(
            FetchLimits(
                max_requests=MAX_FETCHES_PER_VALIDATION,
                max_cert_requests=0,
                max_aia_urls_per_object=4,
            )
        )
        ocsp_fetcher = CheckedOcspFetcher(
            backend.session, per_request_timeout=timeout, budget=budget
        )
        crl_fetcher = CheckedCrlFetcher(
            backend.session,
            per_request_timeout=timeout,
            budget=budget,
            max_bytes=self.v._max_crl_bytes,
        )
        fetchers = Fetchers(
            ocsp_fetcher=RecordingOcspFetcher(ocsp_fetcher, self.record, self.v._counter),
            crl_fetcher=RecordingCrlFetcher(
                crl_fetcher, self.record, self.v._crl_cache, self.v._counter, self.moment
            ),
            cert_fetcher=NoIssuerFetching(),
        )
        return backend, fetchers

    def _context(self, fetchers: Fetchers | None, *, assert_leaf: bool) -> ValidationContext:
        registry = CertificateRegistry.build([*self.v._intermediates, *self.helpers])
        assertions = []
        if assert_leaf and self.checking:
            known = self.v._status_cache.get(self.leaf.sha256, self.moment)
            if known is not None:
                self.v._counter.count_status_hit()
                assertions.append(
                    NonRevokedStatusAssertion(cert_sha256=self.leaf.sha256, at=self.moment)
                )
        revinfo_manager = RevinfoManager(
            certificate_registry=registry,
            poe_manager=POEManager(),
            crls=[],
            ocsps=[],
            assertions=assertions,
            fetchers=fetchers,
        )
        policy = LEGACY_POLICY_MAP[_LEGACY_MODE[self.v._revocation_mode]]
        return ValidationContext(
            algorithm_usage_policy=self.v._algorithm_policy,
            trust_manager=self.v._trust_manager,
            certificate_registry=registry,
            revinfo_manager=revinfo_manager,
            revinfo_policy=CertRevTrustPolicy(policy),
            moment=self.moment,
            time_tolerance=self.v._clock_skew,
            allow_fetching=fetchers is not None,
        )

    def _cached_issuer_path(self) -> CachedIntermediatePath | None:
        aki = self.leaf.authority_key_identifier
        if aki is None:
            return None
        for candidate in self.v._trust_store.by_key_identifier(aki):
            if candidate.role is TrustRole.ROOT:
                continue
            entry = self.v._path_cache.get(candidate.sha256, self.moment)
            if entry is not None and entry.issuer_asn1.subject.dump() == self.leaf.issuer.dump():
                return entry
        for helper in self.helpers:
            if helper.key_identifier == aki and helper.subject == self.leaf.issuer:
                entry = self.v._path_cache.get(helper.sha256, self.moment)
                if entry is not None:
                    return entry
        return None

    async def _validate_full(self, context: ValidationContext) -> ValidationPath:
        paths = context.path_builder.async_build_paths_lazy(self.leaf)
        path: ValidationPath = await find_valid_path(self.leaf, paths, validation_context=context)
        return path

    async def _try_below(
        self, context: ValidationContext, cached: CachedIntermediatePath
    ) -> ValidationPath | None:
        """Validate under the cached CA; None when only the full path can settle revocation.

        certvalidator validates a CRL's issuer within the path being checked,
        and under a cached CA that issuer is the anchor itself, which it cannot
        place; the full path then decides, reusing what was already fetched.
        """
        try:
            path = await self._validate_below(context, cached)
        except cv_errors.InsufficientRevinfoError:
            return None
        self.v._counter.count_path_hit()
        return path

    async def _validate_below(
        self, context: ValidationContext, cached: CachedIntermediatePath
    ) -> ValidationPath:
        anchor = CertTrustAnchor(
            cached.issuer_asn1,
            quals=TrustQualifiers(
                valid_from=cached.window.not_before,
                valid_until=cached.window.not_after,
                trusted_service_type=TrustedServiceType.CERTIFICATE_AUTHORITY,
            ),
        )
        path = ValidationPath(trust_anchor=anchor, interm=[], leaf=self.leaf)
        await async_validate_path(context, path)
        return path

    async def _refuse_unknown(self, context: ValidationContext, path: ValidationPath) -> None:
        """certvalidator falls back to the CRL after an OCSP "unknown"; xcapki refuses instead."""
        for cert in _below_anchor(path):
            response = self.record.ocsp.get(cert.sha256)
            if response is None or _revinfo.ocsp_cert_status(response, cert) != "unknown":
                continue
            try:
                await verify_ocsp_response(cert, path, context)
            except cv_errors.OCSPValidationIndeterminateError as exc:
                if exc.failures:
                    continue
                raise RevocationUnknownError(
                    f"the OCSP responder does not know {cert.subject.human_friendly!r} "
                    "(status unknown), which counts as revoked; the certificate may not "
                    "come from this CA",
                    certificate=_to_crypto(cert),
                ) from exc
            except cv_errors.OCSPValidationError:
                continue

    def _status(self, cert: asn1_x509.Certificate, issuer: x509.Certificate) -> RevocationStatus:
        if not self.checking:
            return NOT_CHECKED
        return _revinfo.status_from_record(
            cert,
            self.record,
            cached=self.v._status_cache.get(cert.sha256, self.moment),
            issuer=issuer,
        )

    def _result(self, path: ValidationPath, cached: CachedIntermediatePath | None) -> ValidatedPath:
        if path.leaf is None:
            anchor = _anchor_certificate(path)
            return ValidatedPath(
                chain=(anchor,),
                trust_anchor=anchor,
                statuses=(),
                validated_at=self.moment,
                reused_intermediates=False,
            )
        below = list(_below_anchor(path))
        issuers = [*(_to_crypto(c) for c in below[1:]), _anchor_certificate(path)][: len(below)]
        statuses = [
            CertificateStatus(certificate=_to_crypto(c), revocation=self._status(c, issuer))
            for c, issuer in zip(below, issuers, strict=True)
        ]
        for cert, status in zip(below, statuses, strict=True):
            if status.revocation.state is RevocationState.GOOD:
                self.v._status_cache.put(cert.sha256, status.revocation)
            if status.revocation.source is RevocationSource.CRL:
                self._remember_revocation_list(cert)
        if cached is not None:
            return ValidatedPath(
                chain=(statuses[0].certificate, *cached.chain, cached.trust_anchor),
                trust_anchor=cached.trust_anchor,
                statuses=(statuses[0], *cached.statuses),
                validated_at=self.moment,
                reused_intermediates=True,
            )
        anchor = _anchor_certificate(path)
        self._remember_path(below, statuses, anchor)
        return ValidatedPath(
            chain=(*(s.certificate for s in statuses), anchor),
            trust_anchor=anchor,
            statuses=tuple(statuses),
            validated_at=self.moment,
            reused_intermediates=False,
        )

    def _remember_revocation_list(self, cert: asn1_x509.Certificate) -> None:
        """Keep the CRLs that gave ``cert`` a GOOD verdict (signed by its issuer); never a
        set that failed, which could be forged and would then be reused until the
        nextUpdate it claims."""
        urls = crl_urls(cert)
        crls = self.record.fetched_crl_sets.get(urls)
        if crls:
            self.v._crl_cache.put(urls, crls)

    def _remember_path(
        self,
        below: list[asn1_x509.Certificate],
        statuses: list[CertificateStatus],
        anchor: x509.Certificate,
    ) -> None:
        """Cache root -> ... -> issuing CA when nothing in it constrains the leaf further."""
        cas = below[1:]
        if not cas or self.leaf.authority_key_identifier is None:
            return
        if any(_constrains_below(ca) for ca in cas):
            return
        window = _path_window(cas, [s.revocation for s in statuses[1:]], self.checking)
        if window is None:
            return
        issuer = cas[0]
        self.v._path_cache.put(
            issuer.sha256,
            CachedIntermediatePath(
                issuer=_to_crypto(issuer),
                issuer_asn1=_parsed_whole(issuer),
                issuer_key=issuer_key(issuer, self.v._algorithm_policy),
                chain=tuple(s.certificate for s in statuses[1:]),
                trust_anchor=anchor,
                statuses=tuple(statuses[1:]),
                window=window,
            ),
        )


_OPTION_TYPES: Final = (
    ("fetch_timeout", datetime.timedelta, "timedelta(seconds=5)"),
    ("clock_skew", datetime.timedelta, "timedelta(minutes=5)"),
    ("cache_capacity", int, "10_000"),
    ("fast_path", bool, "True"),
    ("max_crl_bytes", int, "10 * 1024 * 1024"),
)


def _check_option_types(options: ValidatorOptions) -> None:
    """Refuse a field of the wrong type by name: None means "the default" only as a
    keyword argument; inside ``ValidatorOptions`` it would read as False or fail later."""
    for name, kind, example in _OPTION_TYPES:
        value = getattr(options, name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValidatorUsageError(
                f"{name} must be a {kind.__name__}, e.g. {example}, not {type(value).__name__}"
                " (leave the field out of ValidatorOptions for the default)"
            )


def _path_window(
    cas: list[asn1_x509.Certificate], statuses: list[RevocationStatus], checking: bool
) -> Window | None:
    not_before = max(ca.not_valid_before for ca in cas)
    not_after = min(ca.not_valid_after for ca in cas)
    for status in statuses:
        if (
            status.state is RevocationState.GOOD
            and status.this_update is not None
            and status.next_update is not None
        ):
            not_before = max(not_before, status.this_update)
            not_after = min(not_after, status.next_update)
        elif checking and status.state is not RevocationState.NOT_CHECKED:
            # Not GOOD, or GOOD without a nextUpdate (RFC 6960 and 5280 allow
            # omitting it): no window in which the answer stays true.
            return None
    return Window(not_before=not_before, not_after=not_after)


def _constrains_below(ca: asn1_x509.Certificate) -> bool:
    return any(
        value is not None
        for value in (
            ca.name_constraints_value,
            ca.policy_constraints_value,
            ca.inhibit_any_policy_value,
            ca.policy_mappings_value,
        )
    )


def _below_anchor(path: ValidationPath) -> list[asn1_x509.Certificate]:
    """The path's certificates under the anchor, leaf first."""
    return list(reversed(list(path.iter_certs(include_root=False))))


_LOOPS = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for synchronous calls, kept between calls.

    ``asyncio.run`` would build and tear down a loop per validation, which is a
    fifth of the cost of a cached validation; no loop state survives a call
    (each validation closes its own HTTP session).
    """
    loop: asyncio.AbstractEventLoop | None = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _LOOPS.loop = loop
    return loop


def _anchor_certificate(path: ValidationPath) -> x509.Certificate:
    authority = path.trust_anchor.authority
    if not isinstance(authority, AuthorityWithCert):
        raise InvalidPathError("the path ends at a trust anchor without a certificate")
    return _to_crypto(authority.certificate)


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_der(certificate))


def _shared_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """A certificate every validation of this validator reads, parsed whole now."""
    return _parsed_whole(_to_asn1(certificate))


def _parsed_whole(certificate: asn1_x509.Certificate) -> asn1_x509.Certificate:
    """asn1crypto parses lazily, on first access, and two threads parsing the same object at
    once can corrupt it (a ``KeyError`` deep inside). Objects that concurrent validations
    share (anchors, trusted intermediates, cached issuers) are parsed whole before they are
    shared, so later reads only read."""
    _ = certificate.native
    return certificate


def _to_crypto(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())
