"""The HiPKI-compatible local signing service (``xcapki serve``).

``run_service(config)`` serves on loopback (127.0.0.1:61161 by default) until
interrupted; ``uvicorn_config(config)`` is the server set-up it uses (to serve in
a thread); ``create_app(config)`` returns the Starlette app for tests and
embedding. Needs the ``service`` extra (starlette, uvicorn). See docs/service.md.
"""

from __future__ import annotations

from xcapki.service.app import create_app
from xcapki.service.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DomainApproval,
    DomainApprover,
    DomainRequest,
    PinMode,
    PinPrompter,
    PinRateLimit,
    PinRequest,
    ServiceConfig,
    default_trust_list_path,
    terminal_domain_approver,
    terminal_pin_prompter,
)
from xcapki.service.errors import (
    HipkiCode,
    HipkiError,
    ServiceConfigError,
    ServiceError,
    TrustListError,
)
from xcapki.service.limits import ServiceLimits
from xcapki.service.runner import run_service, uvicorn_config

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DomainApproval",
    "DomainApprover",
    "DomainRequest",
    "HipkiCode",
    "HipkiError",
    "PinMode",
    "PinPrompter",
    "PinRateLimit",
    "PinRequest",
    "ServiceConfig",
    "ServiceConfigError",
    "ServiceError",
    "ServiceLimits",
    "TrustListError",
    "create_app",
    "default_trust_list_path",
    "run_service",
    "terminal_domain_approver",
    "terminal_pin_prompter",
    "uvicorn_config",
]
