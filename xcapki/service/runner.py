"""Running the service under uvicorn on loopback, with the service's connection limits."""

from __future__ import annotations

import copy

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from xcapki.service.app import create_app
from xcapki.service.config import ServiceConfig
from xcapki.service.connections import ACCEPT_BACKLOG, ConnectionRegistry, guarded_protocol

__all__ = ["run_service", "uvicorn_config"]

_CONCURRENCY_MARGIN = 3 * ACCEPT_BACKLOG
"""uvicorn's own cap sits above the registry's, as a backstop: the registry makes room for
new connections, where uvicorn's cap would answer 503 to everyone once idle ones fill it.
The margin covers connections accepted while those closed to make room are still going."""


def uvicorn_config(
    config: ServiceConfig,
    *,
    log_level: str = "info",
    access_log: bool = False,
    log_config: dict[str, object] | None = None,
) -> uvicorn.Config:
    """The uvicorn configuration ``run_service`` serves with (tests serve it in a thread)."""
    app = create_app(config)
    registry: ConnectionRegistry = app.state.connections
    limits = config.limits
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        http=guarded_protocol(registry),
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
        access_log=access_log,
        log_config=LOGGING_CONFIG if log_config is None else log_config,
        timeout_keep_alive=max(1, round(limits.keep_alive_seconds)),
        limit_concurrency=registry.max_connections + _CONCURRENCY_MARGIN,
        backlog=ACCEPT_BACKLOG,
        h11_max_incomplete_event_size=min(65536, 4 * limits.max_field_chars),
    )


def _log_config() -> dict[str, object]:
    """uvicorn's logging, plus the service's own log (sites asking trust, the user's answers)."""
    settings = copy.deepcopy(LOGGING_CONFIG)
    settings["loggers"]["xcapki.service"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return settings


def run_service(config: ServiceConfig) -> None:
    """Serve until interrupted (blocking), on ``config.host``:``config.port``; every request
    is logged (the access log names path and query, never a body, so never a PIN)."""
    uvicorn.Server(uvicorn_config(config, access_log=True, log_config=_log_config())).run()
